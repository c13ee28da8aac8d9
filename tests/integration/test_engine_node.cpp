// A running Node against the fixture rows Oban 2.23.1 left (rows.jsonl), plus timeouts,
// unknown workers and graceful shutdown.
#include <catch2/catch.hpp>

#include "engine_test_helpers.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"

using namespace engine_test;
using namespace std::chrono_literals;

namespace {

oban::NodeConfig config_for(test_support::TestSchema& schema, int limit = 4) {
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = "cpp-test-node";
  config.queues = {{"rindle_provider", limit}};
  config.poll_interval = 50ms;
  config.stage_interval = 20ms;
  config.shutdown_grace = 2s;
  return config;
}

std::string fixture_args(int row) {
  auto object = oban::json::JsonObject::parse(fixture_row(row));
  return *object.raw("args");
}

std::string first_error(test_support::TestSchema& schema, std::int64_t id) {
  return query_text(schema, "SELECT errors[1]->>'error' FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(id));
}

}  // namespace

TEST_CASE("jobs run by a node end exactly like the fixture rows", "[engine]") {
  test_support::TestSchema schema{"fixture"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<AnchorWorker>();
  registry.add(worker);
  oban::ManualClock clock{oban::SystemClock::instance().now()};
  oban::Node node{config_for(schema), registry, clock};
  // The manual clock jumps past the peer's 30 s lease below; this node stays the stager.
  oban::internals(node).set_leader_check([] { return true; });
  node.start();
  REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }));  // pkill needs the LISTEN

  auto insert_row = [&](int row, int max_attempts = 3) {
    PlainJob job;
    job.args = fixture_args(row);
    job.max_attempts = max_attempts;
    return insert_plain(schema, job);
  };
  auto settled = [&](std::int64_t id, const std::string& state) {
    return wait_for([&] { return job_state(schema, id) == state; });
  };

  SECTION("complete (row 2)") {
    auto id = insert_row(2);
    REQUIRE(settled(id, "completed"));
    CHECK(row_differences(schema, id, 2, true).empty());
  }
  SECTION("raise, then success after the backoff (row 7)") {
    auto id = insert_row(7);
    REQUIRE(settled(id, "retryable"));
    CHECK(first_error(schema, id) == "** (RuntimeError) anchor scripted raise_once");
    // Backoff for attempt 1 is 17..18 s: scheduled_at from the node clock.
    const auto delay = query_count(
        schema, "SELECT extract(epoch FROM scheduled_at - (errors[1]->>'at')::timestamp)::bigint FROM " +
                    schema.jobs_table() + " WHERE id = " + std::to_string(id));
    CHECK(delay >= 17);
    CHECK(delay <= 18);
    clock.advance(std::chrono::seconds{60});  // the stager stages it on the node clock
    REQUIRE(settled(id, "completed"));
    CHECK(row_differences(schema, id, 7, false).empty());
  }
  SECTION("raise with max_attempts 1 is discarded (row 8)") {
    auto id = insert_row(8, 1);
    REQUIRE(settled(id, "discarded"));
    CHECK(row_differences(schema, id, 8, false).empty());
    CHECK(first_error(schema, id) == "** (RuntimeError) anchor scripted raise (attempt 1)");
  }
  SECTION("{:error, reason} with max_attempts 1 is discarded with Oban's text (row 9)") {
    auto id = insert_row(9, 1);
    REQUIRE(settled(id, "discarded"));
    CHECK(row_differences(schema, id, 9, true).empty());
  }
  SECTION("snooze 3600 adds one to max_attempts (row 10)") {
    auto id = insert_row(10);
    REQUIRE(settled(id, "scheduled"));
    CHECK(row_differences(schema, id, 10, true).empty());
    const auto delay = query_count(schema, "SELECT extract(epoch FROM scheduled_at - attempted_at)::bigint FROM " +
                                               schema.jobs_table() + " WHERE id = " + std::to_string(id));
    CHECK(delay == 3600);
  }
  SECTION("{:cancel, reason} (row 11)") {
    auto id = insert_row(11);
    REQUIRE(settled(id, "cancelled"));
    CHECK(row_differences(schema, id, 11, true).empty());
  }
  SECTION("cancelled through the API while running: pkill (row 14)") {
    auto id = insert_row(14);
    REQUIRE(wait_for([&] { return worker->sleeping.load() == 1; }));
    // What Oban.cancel_job/1 sends: the cancel_all_jobs UPDATE, then the pkill signal.
    {
      pqxx::work tx{schema.conn()};
      tx.exec_params("UPDATE " + schema.jobs_table() +
                         " SET state = 'cancelled', cancelled_at = timezone('UTC', now()) WHERE id = $1 AND "
                         "NOT (state IN ('cancelled','completed','discarded'))",
                     id);
      tx.commit();
    }
    send_notification(schema, "signal", "[\"{\\\"action\\\":\\\"pkill\\\",\\\"job_id\\\":" + std::to_string(id) + "}\"]");
    REQUIRE(wait_for([&] {
      return query_count(schema, "SELECT count(*) FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(id) +
                                     " AND cardinality(errors) = 1") == 1;
    }));
    CHECK(row_differences(schema, id, 14, true).empty());
    CHECK(wait_for([&] { return worker->stopped_early.load() == 1; }));
    CHECK(wait_for([&] { return oban::internals(node).producer("rindle_provider")->running() == 0; }));
  }
  node.stop();
}

namespace {

class SlowWorker final : public oban::Worker {
 public:
  SlowWorker(std::string name, std::chrono::milliseconds timeout, bool honour_stop)
      : name_(std::move(name)), timeout_(timeout), honour_stop_(honour_stop) {}
  std::string name() const override { return name_; }
  oban::WorkerOptions options() const override {
    oban::WorkerOptions o;
    o.timeout = timeout_;
    return o;
  }
  oban::JobResult perform(oban::JobContext& context) override {
    started.fetch_add(1);
    const auto ms = context.args.integer("ms").value_or(0);
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock{mutex};
    if (honour_stop_) {
      cv.wait_for(lock, context.stop, std::chrono::milliseconds{ms}, [] { return false; });
    } else {
      cv.wait_for(lock, std::chrono::milliseconds{ms}, [] { return false; });
    }
    finished.fetch_add(1);
    return oban::JobResult::ok();
  }
  std::atomic<int> started{0};
  std::atomic<int> finished{0};

 private:
  std::string name_;
  std::chrono::milliseconds timeout_;
  bool honour_stop_;
};

}  // namespace

TEST_CASE("a worker timeout fails the job with Oban's TimeoutError text and stops it", "[engine]") {
  test_support::TestSchema schema{"timeout"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<SlowWorker>("Test.Slow", 50ms, true);
  registry.add(worker);
  oban::Node node{config_for(schema), registry};
  node.start();
  PlainJob job;
  job.worker = "Test.Slow";
  job.args = R"({"ms": 5000})";
  auto id = insert_plain(schema, job);
  REQUIRE(wait_for([&] { return job_state(schema, id) == "retryable"; }));
  CHECK(first_error(schema, id) == "** (Oban.TimeoutError) Test.Slow timed out after 50ms");
  CHECK(wait_for([&] { return worker->finished.load() == 1; }, 2s));  // the stop token ended it early
  node.stop();
}

TEST_CASE("with the worker filter off, an unknown worker fails like Elixir's", "[engine]") {
  test_support::TestSchema schema{"unknown"};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<AnchorWorker>());
  auto config = config_for(schema);
  config.only_registered_workers = false;
  oban::Node node{config, registry};
  node.start();
  PlainJob job;
  job.worker = "MyApp.NotHere";
  auto id = insert_plain(schema, job);
  REQUIRE(wait_for([&] { return job_state(schema, id) == "retryable"; }));
  CHECK(first_error(schema, id) == "** (RuntimeError) unknown worker: MyApp.NotHere");
  CHECK(query_count(schema, "SELECT attempt FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(id)) == 1);
  node.stop();
}

TEST_CASE("graceful stop waits for running jobs, asks overrunning ones to stop, then gives them back", "[engine]") {
  test_support::TestSchema schema{"shutdown"};
  oban::WorkerRegistry registry;
  auto quick = std::make_shared<SlowWorker>("Test.Quick", 0ms, false);
  auto obedient = std::make_shared<SlowWorker>("Test.Obedient", 0ms, true);
  auto deaf = std::make_shared<SlowWorker>("Test.Deaf", 0ms, false);
  registry.add(quick);
  registry.add(obedient);
  registry.add(deaf);

  SECTION("jobs that finish within the grace period are completed") {
    oban::Node node{config_for(schema), registry};
    node.start();
    PlainJob job;
    job.worker = "Test.Quick";
    job.args = R"({"ms": 300})";
    auto id = insert_plain(schema, job);
    REQUIRE(wait_for([&] { return quick->started.load() == 1; }));
    node.stop();
    CHECK(job_state(schema, id) == "completed");
  }
  SECTION("a job still running after the grace is asked to stop, and what it returns is written") {
    auto config = config_for(schema);
    config.shutdown_grace = 100ms;
    config.shutdown_hard_deadline = 2s;
    oban::Node node{config, registry};
    node.start();
    PlainJob job;
    job.worker = "Test.Obedient";
    job.args = R"({"ms": 20000})";
    auto id = insert_plain(schema, job);
    REQUIRE(wait_for([&] { return obedient->started.load() == 1; }));
    const auto begin = std::chrono::steady_clock::now();
    node.stop();
    CHECK(std::chrono::steady_clock::now() - begin < 2s);
    CHECK(obedient->finished.load() == 1);  // its stop token was requested
    CHECK(node.stragglers() == 0);
    CHECK(job_state(schema, id) == "completed");
  }
  SECTION("a job that ignores its stop token is given back at the hard deadline, and stop() returns") {
    auto config = config_for(schema);
    config.shutdown_grace = 100ms;
    config.shutdown_hard_deadline = 300ms;
    oban::Node node{config, registry};
    node.start();
    PlainJob job;
    job.worker = "Test.Deaf";
    job.args = R"({"ms": 3000})";
    auto id = insert_plain(schema, job);
    REQUIRE(wait_for([&] { return deaf->started.load() == 1; }));
    const auto begin = std::chrono::steady_clock::now();
    node.stop();
    const auto took = std::chrono::steady_clock::now() - begin;
    CHECK(took >= 400ms);
    CHECK(took < 1500ms);  // grace + hard deadline + the last acks, not the 3 s the job wants
    CHECK(node.stragglers() == 1);
    CHECK(deaf->finished.load() == 0);
    // Released for another run, as if never fetched: available, the attempt given back.
    CHECK(job_state(schema, id) == "available");
    CHECK(query_count(schema, "SELECT attempt FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(id)) == 0);
    CHECK(query_count(schema, "SELECT cardinality(errors) FROM " + schema.jobs_table() + " WHERE id = " +
                                  std::to_string(id)) == 0);
    // The straggler ends on its own and touches nothing of the stopped node.
    CHECK(wait_for([&] { return deaf->finished.load() == 1; }, 5s));
    CHECK(wait_for([&] { return node.stragglers() == 0; }, 1s));
  }
}

TEST_CASE("a node refuses a bad config, listing every problem", "[engine]") {
  test_support::TestSchema schema{"badconfig"};
  oban::WorkerRegistry registry;
  oban::NodeConfig config;
  config.prefix = schema.prefix();
  config.queues = {{"q", 0}};
  config.poll_interval = 0ms;
  oban::Node node{config, registry};
  REQUIRE_THROWS_WITH(node.start(), Catch::Contains("no database") && Catch::Contains("queue q needs a limit") &&
                                        Catch::Contains("poll interval") && Catch::Contains("no worker is registered"));
  CHECK(node.name().find('-') != std::string::npos);
}

TEST_CASE("a node refuses a schema older than V12", "[engine]") {
  test_support::TestSchema schema{"oldschema", 11};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<AnchorWorker>());
  oban::Node node{config_for(schema), registry};
  REQUIRE_THROWS_WITH(node.start(), Catch::Contains("Oban schema version 11"));
}
