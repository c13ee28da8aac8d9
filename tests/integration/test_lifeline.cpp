// Oban's Lifeline: orphaned executing jobs go back to available, or are discarded.
#include <catch2/catch.hpp>

#include <atomic>

#include "cluster_test_helpers.hpp"
#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/plugins/lifeline.hpp"
#include "oban/plugins/plugin_runner.hpp"
#include "support/test_database.hpp"

using namespace std::chrono_literals;
using cluster_test::Listener;
using cluster_test::start_time;
using oban::JobState;
using oban::db::JobSummary;
using oban::plugins::Lifeline;
using oban::plugins::LifelineConfig;
using test_support::TestSchema;
namespace db = oban::db;

namespace {

const std::string kErrors =
    R"({"{\"at\": \"2026-11-28T07:00:00.000000Z\", \"error\": \"boom\", \"attempt\": 1}"})";

std::int64_t insert_job(TestSchema& schema, const std::string& state, const std::string& queue, int attempt,
                        int max_attempts, oban::Timestamp attempted_at) {
  pqxx::work tx{schema.conn()};
  const auto id = tx.exec_params("INSERT INTO " + schema.jobs_table() +
                                     " (state, queue, worker, args, attempt, max_attempts, attempted_at, attempted_by,"
                                     " errors) VALUES ($1::" + db::qualified(schema.prefix(), "oban_job_state") +
                                     ", $2, 'Test.Worker', '{}', $3, $4, $5::timestamp,"
                                     " '{dead-node,5b1a7c4e-0000-4000-8000-000000000000}', $6::jsonb[])"
                                     " RETURNING id",
                                 state, queue, attempt, max_attempts, oban::format_sql_timestamp(attempted_at),
                                 kErrors)[0][0]
                      .as<std::int64_t>();
  tx.commit();
  return id;
}

// state | attempt | attempted_by | errors | discarded_at, as text.
std::string row_text(TestSchema& schema, std::int64_t id) {
  pqxx::read_transaction tx{schema.conn()};
  const auto row = tx.exec_params1(
      "SELECT concat_ws(' | ', state::text, attempt::text, attempted_by::text, errors::text,"
      " coalesce(discarded_at::text, 'null')) FROM " + schema.jobs_table() + " WHERE id = $1",
      id);
  return row[0].as<std::string>();
}

LifelineConfig config_for(const TestSchema& schema) {
  LifelineConfig config;
  config.prefix = schema.prefix();
  return config;
}

}  // namespace

TEST_CASE("lifeline defaults are Oban's", "[lifeline]") {
  LifelineConfig config;
  CHECK(config.interval == 60000ms);
  CHECK(config.rescue_after == 3600000ms);
}

TEST_CASE("run_once rescues orphans with attempts left and discards exhausted ones", "[lifeline]") {
  TestSchema schema{"lifeline"};
  db::ConnectionPool pool{schema.dsn(), 1};
  const auto now = start_time();
  oban::ManualClock clock{now};
  const auto& errors_text = kErrors;
  const auto by = std::string{"{dead-node,5b1a7c4e-0000-4000-8000-000000000000}"};

  const auto orphan = insert_job(schema, "executing", "a", 1, 3, now - 61min);
  const auto orphan_b = insert_job(schema, "executing", "b", 2, 3, now - 3h);
  const auto orphan_a2 = insert_job(schema, "executing", "a", 1, 20, now - 2h);
  const auto exhausted = insert_job(schema, "executing", "c", 3, 3, now - 2h);
  const auto recent = insert_job(schema, "executing", "a", 1, 3, now - 59min);
  const auto boundary = insert_job(schema, "executing", "a", 1, 3, now - 60min);
  const auto available = insert_job(schema, "available", "a", 1, 3, now - 5h);
  const auto retryable = insert_job(schema, "retryable", "a", 3, 3, now - 5h);

  auto listen_conn = db::connect(schema.dsn());
  Listener listener{*listen_conn, schema.prefix() + ".oban_insert"};
  Lifeline lifeline{pool, config_for(schema), clock};
  auto result = lifeline.run_once();
  std::sort(result.rescued.begin(), result.rescued.end(), [](auto& x, auto& y) { return x.id < y.id; });

  CHECK(result.rescued == std::vector<JobSummary>{{orphan, "a", JobState::available},
                                                  {orphan_b, "b", JobState::available},
                                                  {orphan_a2, "a", JobState::available}});
  CHECK(result.discarded == std::vector<JobSummary>{{exhausted, "c", JobState::discarded}});

  CHECK(row_text(schema, orphan) == "available | 1 | " + by + " | " + errors_text + " | null");
  CHECK(row_text(schema, orphan_b) == "available | 2 | " + by + " | " + errors_text + " | null");
  CHECK(row_text(schema, exhausted) ==
        "discarded | 3 | " + by + " | " + errors_text + " | 2026-11-28 09:33:56.451436");
  CHECK(row_text(schema, recent) == "executing | 1 | " + by + " | " + errors_text + " | null");
  CHECK(row_text(schema, boundary) == "executing | 1 | " + by + " | " + errors_text + " | null");
  CHECK(row_text(schema, available) == "available | 1 | " + by + " | " + errors_text + " | null");
  CHECK(row_text(schema, retryable) == "retryable | 3 | " + by + " | " + errors_text + " | null");

  // One insert notification per queue that got jobs back (none for the discard's queue).
  auto payloads = listener.collect(2);
  std::sort(payloads.begin(), payloads.end());
  CHECK(payloads == std::vector<std::string>{R"({"queue":"a"})", R"({"queue":"b"})"});

  // Nothing left to rescue: no notification either.
  listener.payloads.clear();
  const auto again = lifeline.run_once();
  CHECK(again.rescued.empty());
  CHECK(again.discarded.empty());
  CHECK(listener.collect(0).empty());

  // Later on the clock, the recent jobs are orphans too.
  clock.advance(2min);
  CHECK(lifeline.run_once().rescued.size() == 2);
}

TEST_CASE("rescue_after is configurable", "[lifeline]") {
  TestSchema schema{"lifeline"};
  db::ConnectionPool pool{schema.dsn(), 1};
  const auto now = start_time();
  oban::ManualClock clock{now};
  const auto job = insert_job(schema, "executing", "a", 1, 3, now - 2min);
  auto config = config_for(schema);
  config.rescue_after = 3min;
  Lifeline lifeline{pool, config, clock};
  CHECK(lifeline.run_once().rescued.empty());
  clock.advance(61s);
  CHECK(lifeline.run_once().rescued == std::vector<JobSummary>{{job, "a", JobState::available}});
}

TEST_CASE("the lifeline loop rescues only while leader", "[lifeline]") {
  TestSchema schema{"lifeline"};
  db::ConnectionPool pool{schema.dsn(), 1};
  const auto now = start_time();
  oban::ManualClock clock{now};
  const auto job = insert_job(schema, "executing", "a", 1, 3, now - 2h);

  std::atomic<bool> leader{false};
  std::atomic<int> asked{0};
  auto config = config_for(schema);
  config.interval = 10ms;
  Lifeline lifeline{pool, config, clock};
  oban::plugins::PluginRunner runner{lifeline, [&] {
    ++asked;
    return leader.load();
  }};
  runner.start();
  REQUIRE(cluster_test::wait_for([&] { return asked >= 3; }));
  CHECK(row_text(schema, job).rfind("executing", 0) == 0);
  leader = true;
  CHECK(cluster_test::wait_for([&] { return row_text(schema, job).rfind("available", 0) == 0; }));
  runner.stop();
  runner.stop();
}
