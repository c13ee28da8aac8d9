// Pure logic of the core types: timestamps, backoff, tags, validation, JSON, payloads, DSNs.
#include <catch2/catch.hpp>

#include <date/date.h>

#include <random>

#include "oban/core/backoff.hpp"
#include "oban/core/new_job.hpp"
#include "oban/core/timestamp.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/json/json_object.hpp"
#include "oban/json/json_writer.hpp"
#include "oban/db/notification.hpp"
#include "oban/insert/validate_job.hpp"
#include "oban/worker.hpp"

using namespace oban;

TEST_CASE("timestamps format and parse like PostgreSQL and Elixir", "[core]") {
  const auto t = parse_sql_timestamp("2026-11-28 09:34:16.212170");
  CHECK(format_sql_timestamp(t) == "2026-11-28 09:34:16.212170");
  CHECK(format_iso8601(t) == "2026-11-28T09:34:16.212170Z");
  CHECK(format_sql_timestamp(parse_sql_timestamp("2026-11-28T09:34:16Z")) == "2026-11-28 09:34:16.000000");
  CHECK(format_sql_timestamp(parse_sql_timestamp("2026-11-28 09:34:16.5")) == "2026-11-28 09:34:16.500000");
  CHECK_THROWS_AS(parse_sql_timestamp("yesterday"), std::invalid_argument);
}

TEST_CASE("timestamps written and read by hand match date's formatting, edges included", "[core]") {
  std::mt19937_64 random{7};
  // From year 1 to 9999 (written by hand) and past it (date's own formatting).
  std::uniform_int_distribution<std::int64_t> micros{-62135596800LL * 1000000, 253402300799LL * 1000000 + 999999};
  std::vector<Timestamp> samples{Timestamp{}, Timestamp{std::chrono::microseconds{1}},
                                 Timestamp{std::chrono::microseconds{253402300800LL * 1000000}}};
  for (int i = 0; i < 2000; ++i) samples.push_back(Timestamp{std::chrono::microseconds{micros(random)}});
  for (const auto t : samples) {
    const auto sql = date::format("%Y-%m-%d %H:%M:%S", t);
    CHECK(format_sql_timestamp(t) == sql);
    CHECK(format_iso8601(t) == date::format("%Y-%m-%dT%H:%M:%SZ", t));
    if (sql.size() == 26) CHECK(parse_sql_timestamp(sql) == t);  // years of four digits, as PostgreSQL prints them
  }
  CHECK(parse_sql_timestamp("2024-02-29 23:59:59") == parse_sql_timestamp("2024-03-01 00:00:00") - std::chrono::seconds{1});
  CHECK(format_sql_timestamp(parse_sql_timestamp("2026-11-28 09:34:16.000001")) == "2026-11-28 09:34:16.000001");
  CHECK_THROWS_AS(parse_sql_timestamp("2026-02-30 09:34:16"), std::invalid_argument);
  CHECK_THROWS_AS(parse_sql_timestamp("2026-11-28 24:00:00"), std::invalid_argument);
  CHECK_THROWS_AS(parse_sql_timestamp("2026-11-28 09:3x:16"), std::invalid_argument);
}

TEST_CASE("default backoff follows Oban's formula", "[core][backoff]") {
  auto lowest = [] { return 1e-12; };
  auto highest = [] { return 1.0; };
  CHECK(default_backoff(1, 20, lowest) == 17);
  CHECK(default_backoff(1, 20, highest) == 18);
  CHECK(default_backoff(2, 20, lowest) == 19);
  CHECK(default_backoff(5, 20, lowest) == 47);
  CHECK(default_backoff(5, 20, highest) == 51);
  CHECK(default_backoff(10, 20, lowest) == 1039);
  CHECK(default_backoff(10, 20, highest) == 1142);
  CHECK(default_backoff(19, 20, lowest) == 524303);
  // max_attempts over 20 scales the attempt: 10 of 40 behaves like attempt 5.
  CHECK(default_backoff(10, 40, lowest) == 47);
  for (int i = 0; i < 100; ++i) {
    const auto seconds = default_backoff(1, 3);
    CHECK(seconds >= 17);
    CHECK(seconds <= 18);
  }
}

TEST_CASE("tags are normalized like Job.new", "[core]") {
  CHECK(normalize_tags({" Foo", "bar ", "", "  ", "FOO", "baz", "bar"}) == std::vector<std::string>{"foo", "bar", "baz"});
  CHECK(normalize_tags({}).empty());
}

TEST_CASE("a new job is validated like Oban's changeset", "[core]") {
  NewJob job;
  job.worker = "MyApp.Worker";
  CHECK(insert::validate(job).empty());
  job.worker = "";
  job.queue = std::string(128, 'q');
  job.max_attempts = 0;
  job.priority = 10;
  job.args = "[1,2]";
  job.meta = "null";
  CHECK(insert::validate(job).size() == 6);
}

TEST_CASE("JSON objects are read with simdjson", "[core][json]") {
  auto object = json::JsonObject::parse(R"({"s":"x","i":42,"f":1.5,"b":true,"o":{"k":"v"},"a":[1]})");
  CHECK(object.string("s") == "x");
  CHECK(object.integer("i") == 42);
  CHECK(object.number("f") == 1.5);
  CHECK(object.number("i") == 42.0);
  CHECK(object.boolean("b") == true);
  CHECK(object.object("o")->string("k") == "v");
  CHECK(object.raw("a") == "[1]");
  CHECK_FALSE(object.string("i"));
  CHECK_FALSE(object.has("missing"));
  CHECK_THROWS_AS(json::JsonObject::parse("[1]"), std::invalid_argument);
  CHECK_THROWS_AS(json::JsonObject::parse("{bad"), std::invalid_argument);
}

TEST_CASE("JSON is written with escapes", "[core][json]") {
  CHECK(json::quote("a\"b\\c\nd\x01") == R"("a\"b\\c\nd\u0001")");
  CHECK(json::ObjectWriter{}.add("queue", "q").add("limit", 5).add("paused", false).str() ==
        R"({"queue":"q","limit":5,"paused":false})");
  CHECK(json::string_array({"a", "b"}) == R"(["a","b"])");
}

TEST_CASE("notifier payloads are encoded and decoded as Oban does", "[core][notify]") {
  const std::string small = R"({"queue":"rindle_provider"})";
  CHECK(db::encode_payload(small) == small);
  CHECK(db::decode_payload(small) == small);
  const std::string large = "{\"queue\":\"" + std::string(600, 'x') + "\"}";
  const auto encoded = db::encode_payload(large);
  CHECK(encoded.starts_with("Z:H4sI"));
  CHECK(encoded.size() < large.size());
  CHECK(db::decode_payload(encoded) == large);
  // Pre-2.21 form: base64 gzip without a prefix.
  CHECK(db::decode_payload(encoded.substr(2)) == large);
  CHECK_THROWS_AS(db::decode_payload("Z:!!!"), std::invalid_argument);
  CHECK_THROWS_AS(db::decode_payload("Z:aGVsbG8="), std::invalid_argument);
}

TEST_CASE("identifiers are quoted and DSNs redacted", "[core][db]") {
  CHECK(db::quote_ident("Odd \"name\"") == R"("Odd ""name""")");
  CHECK(db::quote_literal("o'k") == "'o''k'");
  CHECK(db::channel("public", "insert") == "public.oban_insert");
  CHECK(db::redact_dsn("postgres://app:s3cret@db:5432/app") == "postgres://app:***@db:5432/app");
  CHECK(db::redact_dsn("host=db user=app password=s3cret dbname=app") == "host=db user=app password=*** dbname=app");
  CHECK(db::redact_dsn("host=db password='s3 cret' dbname=app") == "host=db password=*** dbname=app");
}

namespace {
class NamedWorker final : public oban::Worker {
 public:
  explicit NamedWorker(std::string name, std::chrono::milliseconds timeout = {}) : name_(std::move(name)), timeout_(timeout) {}
  std::string name() const override { return name_; }
  oban::WorkerOptions options() const override {
    oban::WorkerOptions o;
    o.timeout = timeout_;
    return o;
  }
  oban::JobResult perform(oban::JobContext&) override { return oban::JobResult::ok(); }

 private:
  std::string name_;
  std::chrono::milliseconds timeout_;
};
}  // namespace

TEST_CASE("a worker name can be registered once; the timeout defaults to the worker's option", "[worker]") {
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<NamedWorker>("MyApp.Mailer", std::chrono::milliseconds{250}));
  CHECK_THROWS_WITH(registry.add(std::make_shared<NamedWorker>("MyApp.Mailer")),
                    Catch::Contains("MyApp.Mailer is already registered"));
  CHECK_THROWS_AS(registry.add(nullptr), std::invalid_argument);
  CHECK(registry.names() == std::vector<std::string>{"MyApp.Mailer"});
  CHECK(registry.find("MyApp.Mailer")->timeout(oban::Job{}) == std::chrono::milliseconds{250});
}
