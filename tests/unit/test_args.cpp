// JSON arrays and nested values, typed args (decoded into a worker's struct, or refused with
// the field named), typed workers, and perform_job (the executor without a queue).
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "oban/core/args.hpp"
#include "oban/json/json_object.hpp"
#include "oban/json/json_value.hpp"
#include "oban/json/json_writer.hpp"
#include "oban/testing/testing.hpp"
#include "oban/typed_worker.hpp"

using namespace oban;
using namespace std::chrono_literals;

namespace {

struct Crop {
  int width = 0;
  int height = 0;
  static constexpr auto fields() { return oban::fields(field("width", &Crop::width), field("height", &Crop::height)); }
};

struct ResizeArgs {
  static constexpr std::string_view kWorker = "MyApp.Workers.Resize";
  static WorkerOptions options() { return {.queue = "media", .max_attempts = 5, .priority = 2, .tags = {"images"}}; }

  std::int64_t image_id = 0;
  std::vector<int> sizes;
  std::optional<std::string> format;
  Crop crop;
  std::map<std::string, double> weights;
  bool sharpen = false;
  Value extra;  // anything the caller adds
  std::int32_t timeout_ms = 0;
  static constexpr auto fields() {
    return oban::fields(field("image_id", &ResizeArgs::image_id), field("sizes", &ResizeArgs::sizes),
                        field("format", &ResizeArgs::format), field("crop", &ResizeArgs::crop),
                        field("weights", &ResizeArgs::weights), field("sharpen", &ResizeArgs::sharpen),
                        field("extra", &ResizeArgs::extra), field("timeout_ms", &ResizeArgs::timeout_ms));
  }
};

constexpr auto kGoodArgs =
    R"({"image_id": 7, "sizes": [64, 128], "format": "webp", "crop": {"width": 10, "height": 20},
        "weights": {"a": 0.5, "b": 2}, "sharpen": true, "extra": [1, {"k": null}], "timeout_ms": 0,
        "added_by_elixir": "ignored"})";

std::string decode_error(const std::string& json) {
  try {
    decode_args<ResizeArgs>(json::parse(json));
  } catch (const ArgsError& error) {
    return error.what();
  }
  return "";
}

// A typed worker whose timeout and backoff come from its args.
class ResizeWorker {
 public:
  using Args = ResizeArgs;
  JobResult perform(const ResizeArgs& args, JobContext& context) {
    seen_ids.push_back(args.image_id);
    if (args.sizes.empty()) return JobResult::error("no sizes");
    if (args.image_id < 0) return JobResult::snooze(30);
    if (args.timeout_ms > 0) {
      // Sleeps until stopped (or 5 s): the timeout requests the stop.
      for (int i = 0; i < 500 && !context.stop.stop_requested(); ++i) std::this_thread::sleep_for(10ms);
      stopped = context.stop.stop_requested();
    }
    return JobResult::ok();
  }
  std::chrono::milliseconds timeout(const ResizeArgs& args, const Job&) const {
    return std::chrono::milliseconds{args.timeout_ms};
  }
  std::int64_t backoff(const ResizeArgs& args, const Job& job) const { return args.image_id * 100 + job.attempt; }

  std::vector<std::int64_t> seen_ids;
  bool stopped = false;
};

}  // namespace

TEST_CASE("JSON arrays and nested values are read and written", "[json]") {
  const auto object = json::JsonObject::parse(R"({"ids": [1, 2, 3], "nested": {"list": [{"x": 1.5}], "t": true}})");
  REQUIRE(object.array("ids") != nullptr);
  CHECK(*object.array("ids") == Value::Array{1, 2, 3});
  const auto nested = object.object("nested");
  REQUIRE(nested);
  REQUIRE(nested->array("list") != nullptr);
  CHECK(*nested->array("list")->front().find("x") == Value{1.5});
  CHECK(nested->boolean("t") == true);
  CHECK(object.array("nested") == nullptr);
  CHECK(object.get("missing") == nullptr);
  CHECK(object.raw("nested") == R"({"list":[{"x":1.5}],"t":true})");
  CHECK(object.keys() == std::vector<std::string>{"ids", "nested"});
  CHECK(json::write(object.value()) == R"({"ids":[1,2,3],"nested":{"list":[{"x":1.5}],"t":true}})");

  // Floats keep their shortest form, so jsonb compares the value Elixir wrote.
  CHECK(json::write(Value::Array{0.1, 1.0, 2.5e-8, 1e21, -0.0}) == "[0.1,1.0,2.5e-08,1e+21,-0.0]");
  CHECK(json::parse("[0.1]") == Value{Value::Array{0.1}});

  CHECK(json::ObjectWriter{}.add("queue", "q").add_value("ids", Value::Array{1, 2}).str() == R"({"queue":"q","ids":[1,2]})");
  CHECK_THROWS_WITH(json::JsonObject{Value{Value::Array{1}}}, "JSON is not an object");
}

TEST_CASE("typed args decode into the worker's struct and encode back", "[args]") {
  const auto args = decode_args<ResizeArgs>(json::parse(kGoodArgs));
  CHECK(args.image_id == 7);
  CHECK(args.sizes == std::vector<int>{64, 128});
  CHECK(args.format == "webp");
  CHECK(args.crop.width == 10);
  CHECK(args.crop.height == 20);
  CHECK(args.weights == std::map<std::string, double>{{"a", 0.5}, {"b", 2.0}});  // an integer reads as a double
  CHECK(args.sharpen);
  CHECK(json::write(args.extra) == R"([1,{"k":null}])");

  // Written back: every field, the absent optional as null, keys sorted as Jason sorts them.
  auto copy = args;
  copy.format.reset();
  CHECK(json::write(encode_args(copy)) ==
        R"({"crop":{"height":20,"width":10},"extra":[1,{"k":null}],"format":null,"image_id":7,)"
        R"("sharpen":true,"sizes":[64,128],"timeout_ms":0,"weights":{"a":0.5,"b":2.0}})");
  const auto again = decode_args<ResizeArgs>(encode_args(copy));
  CHECK_FALSE(again.format);
  CHECK(again.sizes == copy.sizes);

  // An optional may be absent as well as null.
  CHECK_FALSE(decode_args<ResizeArgs>(json::parse(R"({"image_id":1,"sizes":[],"crop":{"width":1,"height":1},)"
                                                  R"("weights":{},"sharpen":false,"extra":null,"timeout_ms":0})"))
                  .format);
}

TEST_CASE("args that do not fit name the field and the type expected", "[args]") {
  auto with = [](const std::string& key, const std::string& value) {
    auto object = *json::parse(kGoodArgs).if_object();
    if (value.empty()) {
      object.erase(key);
    } else {
      object[key] = json::parse(value);
    }
    return json::write(object);
  };
  CHECK(decode_error(with("image_id", "")) == "args.image_id: missing, expected an integer");
  CHECK(decode_error(with("image_id", R"("7")")) == "args.image_id: expected an integer, got a string");
  CHECK(decode_error(with("image_id", "7.5")) == "args.image_id: expected an integer, got a float");
  CHECK(decode_error(with("sizes", R"([64, "x"])")) == "args.sizes[1]: expected an integer, got a string");
  CHECK(decode_error(with("sizes", "{}")) == "args.sizes: expected a list of integers, got an object");
  CHECK(decode_error(with("crop", R"({"width": 1})")) == "args.crop.height: missing, expected an integer");
  CHECK(decode_error(with("crop", R"({"width": true, "height": 1})")) ==
        "args.crop.width: expected an integer, got a boolean");
  CHECK(decode_error(with("weights", R"({"a": "heavy"})")) == "args.weights.a: expected a number, got a string");
  CHECK(decode_error(with("format", "5")) == "args.format: expected a string or null, got an integer");
  CHECK(decode_error(with("timeout_ms", "3000000000")) ==
        "args.timeout_ms: expected an integer from -2147483648 to 2147483647, got 3000000000");
  CHECK(decode_error(with("sharpen", "null")) == "args.sharpen: expected a boolean, got null");
  CHECK(decode_error("[1, 2]") == "args: expected an object, got a list");
  try {
    decode_args<ResizeArgs>(json::parse(with("sizes", R"([1, null])")));
    FAIL("decoded");
  } catch (const ArgsError& error) {
    CHECK(error.path() == "args.sizes[1]");
  }
}

TEST_CASE("new_job builds Oban's Worker.new from typed args and the worker's defaults", "[args][worker]") {
  ResizeArgs args;
  args.image_id = 3;
  args.sizes = {16};
  const auto job = new_job(args);
  CHECK(job.worker == "MyApp.Workers.Resize");
  CHECK(job.queue == "media");
  CHECK(job.max_attempts == 5);
  CHECK(job.priority == 2);
  CHECK(job.tags == std::vector<std::string>{"images"});
  CHECK(decode_args<ResizeArgs>(json::parse(job.args)).sizes == std::vector<int>{16});

  WorkerRegistry registry;
  auto worker = add_worker(registry, std::make_shared<ResizeWorker>());
  CHECK(registry.names() == std::vector<std::string>{"MyApp.Workers.Resize"});
  CHECK(registry.find("MyApp.Workers.Resize")->options().queue == "media");
  // One name, one worker: a second registration is refused, typed or not.
  CHECK_THROWS_WITH(add_worker(registry, std::make_shared<ResizeWorker>()),
                    Catch::Contains("MyApp.Workers.Resize is already registered"));
  CHECK(registry.new_job("MyApp.Workers.Resize", Value::Object{{"image_id", 1}, {"sizes", Value::Array{8}}}).args ==
        R"({"image_id":1,"sizes":[8]})");
}

TEST_CASE("timeout(job) and backoff(job) of a typed worker come from its args", "[args][worker]") {
  TypedWorkerAdapter<ResizeWorker> adapter{std::make_shared<ResizeWorker>()};
  Job job;
  job.worker = "MyApp.Workers.Resize";
  job.attempt = 2;
  ResizeArgs args;
  args.image_id = 4;
  args.timeout_ms = 1500;
  job.args = json::write(encode_args(args));
  CHECK(adapter.timeout(job) == 1500ms);
  CHECK(adapter.backoff(job) == 402);
  // Args that do not decode fall back to the defaults (perform then cancels the job).
  job.args = R"({"image_id": "x"})";
  CHECK(adapter.timeout(job) == 0ms);
  const auto fallback = adapter.backoff(job);  // Oban's default: 15 + 2^2, up to 10% jitter
  CHECK(fallback >= 19);
  CHECK(fallback <= 21);
}

TEST_CASE("perform_job runs a typed worker through the executor and gives the ack it would get", "[testing][args]") {
  ResizeWorker worker;
  ResizeArgs args;
  args.image_id = 9;
  args.sizes = {32};

  const auto ok = testing::perform_job(worker, args);
  CHECK(ok.returned == JobResult::Kind::ok);
  CHECK(ok.state == JobState::completed);
  CHECK(ok.error.empty());
  CHECK(ok.job.queue == "media");
  CHECK(ok.job.attempt == 1);
  CHECK(worker.seen_ids == std::vector<std::int64_t>{9});

  // {:error, _} with attempts left: retryable after the worker's own backoff.
  args.sizes.clear();
  const auto failed = testing::perform_job(worker, args, {.attempt = 2});
  CHECK(failed.state == JobState::retryable);
  CHECK(failed.error == R"(** (Oban.PerformError) MyApp.Workers.Resize failed with {:error, "no sizes"})");
  REQUIRE(failed.scheduled_at);
  const auto delay = std::chrono::duration_cast<std::chrono::seconds>(*failed.scheduled_at - *failed.job.attempted_at);
  CHECK(delay.count() >= 901);
  CHECK(delay.count() <= 903);
  // ... and discarded on the last attempt.
  CHECK(testing::perform_job(worker, args, {.attempt = 5}).state == JobState::discarded);

  // A snooze: scheduled again, one more attempt allowed (Oban 2.23.1).
  args.sizes = {1};
  args.image_id = -1;
  const auto snoozed = testing::perform_job(worker, args);
  CHECK(snoozed.state == JobState::scheduled);
  CHECK(snoozed.max_attempts == 6);

  // Args that do not fit are cancelled at once, the reason naming the field.
  const auto bad = testing::perform_job(worker, Value::Object{{"image_id", "seven"}});
  CHECK(bad.returned == JobResult::Kind::cancel);
  CHECK(bad.state == JobState::cancelled);
  CHECK(bad.error == R"(** (Oban.PerformError) MyApp.Workers.Resize failed with {:cancel, "invalid args: )"
                     R"(args.image_id: expected an integer, got a string"})");

  // A job that would not be valid is refused like Oban's changeset refuses it.
  CHECK_THROWS_WITH(testing::perform_job(worker, args, {.attempt = 0, .max_attempts = 0}),
                    "invalid job for perform_job: max_attempts must be greater than 0; attempt must be at least 1");
}

TEST_CASE("perform_job applies timeout(job): the stop is requested and the timeout is the result", "[testing][timeout]") {
  ResizeWorker worker;
  ResizeArgs args;
  args.image_id = 1;
  args.sizes = {1};
  args.timeout_ms = 50;
  const auto result = testing::perform_job(worker, args);
  CHECK(result.timed_out);
  CHECK(worker.stopped);
  CHECK(result.state == JobState::retryable);
  CHECK(result.error == "** (Oban.TimeoutError) MyApp.Workers.Resize timed out after 50ms");
  CHECK(result.duration >= 50ms);
  CHECK(result.duration < 4s);
}

TEST_CASE("contains matches args like Oban.Testing: subsets, nested maps, \"_\" and 1 == 1.0", "[testing]") {
  const auto actual = json::parse(R"({"id": 1, "config": {"enabled": true, "level": 2}, "list": [1, 2]})");
  CHECK(testing::contains(actual, Value::Object{{"id", 1}}));
  CHECK(testing::contains(actual, Value::Object{{"id", 1.0}}));
  CHECK(testing::contains(actual, Value::Object{{"config", Value::Object{{"enabled", true}}}}));
  CHECK(testing::contains(actual, Value::Object{{"config", "_"}}));
  CHECK(testing::contains(actual, Value::Object{{"list", Value::Array{1, 2}}}));
  CHECK_FALSE(testing::contains(actual, Value::Object{{"list", Value::Array{1}}}));  // lists compare whole
  CHECK_FALSE(testing::contains(actual, Value::Object{{"missing", "_"}}));
  CHECK_FALSE(testing::contains(actual, Value::Object{{"config", Value::Object{{"enabled", false}}}}));
  CHECK_FALSE(testing::contains(actual, Value::Object{{"id", "1"}}));
}
