// Oban's Pruner: which finished jobs go, judged by which timestamp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>

#include "cluster_test_helpers.hpp"
#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/plugins/plugin_runner.hpp"
#include "oban/plugins/pruner.hpp"
#include "support/test_database.hpp"

using namespace std::chrono_literals;
using cluster_test::start_time;
using oban::JobState;
using oban::db::JobSummary;
using oban::plugins::Pruner;
using oban::plugins::PrunerConfig;
using test_support::TestSchema;
namespace db = oban::db;

namespace {

const char* kNull = nullptr;

struct JobSpec {
  std::string state;
  std::string queue;
  oban::Timestamp scheduled_at;
  std::optional<oban::Timestamp> completed_at;
  std::optional<oban::Timestamp> cancelled_at;
  std::optional<oban::Timestamp> discarded_at;
};

std::int64_t insert_job(TestSchema& schema, const JobSpec& spec) {
  auto ts = [](const std::optional<oban::Timestamp>& t) -> std::optional<std::string> {
    if (!t) return std::nullopt;
    return oban::format_sql_timestamp(*t);
  };
  const auto completed = ts(spec.completed_at), cancelled = ts(spec.cancelled_at), discarded = ts(spec.discarded_at);
  pqxx::work tx{schema.conn()};
  const auto id =
      tx.exec_params("INSERT INTO " + schema.jobs_table() +
                         " (state, queue, worker, args, attempt, scheduled_at, completed_at, cancelled_at, discarded_at)"
                         " VALUES ($1::" + db::qualified(schema.prefix(), "oban_job_state") +
                         ", $2, 'Test.Worker', '{}', 1, $3::timestamp, $4::timestamp, $5::timestamp, $6::timestamp)"
                         " RETURNING id",
                     spec.state, spec.queue, oban::format_sql_timestamp(spec.scheduled_at),
                     completed ? completed->c_str() : kNull, cancelled ? cancelled->c_str() : kNull,
                     discarded ? discarded->c_str() : kNull)[0][0]
          .as<std::int64_t>();
  tx.commit();
  return id;
}

std::vector<std::int64_t> remaining_ids(TestSchema& schema) {
  pqxx::read_transaction tx{schema.conn()};
  std::vector<std::int64_t> ids;
  for (const auto& row : tx.exec("SELECT id FROM " + schema.jobs_table() + " ORDER BY id")) {
    ids.push_back(row[0].as<std::int64_t>());
  }
  return ids;
}

std::vector<JobSummary> sorted(std::vector<JobSummary> jobs) {
  std::sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return jobs;
}

PrunerConfig config_for(const TestSchema& schema) {
  PrunerConfig config;
  config.prefix = schema.prefix();
  return config;
}

}  // namespace

TEST_CASE("pruner defaults are Oban's", "[pruner]") {
  PrunerConfig config;
  CHECK(config.interval == 30000ms);
  CHECK(config.limit == 10000);
  CHECK(config.max_age == 60s);
}

TEST_CASE("run_once deletes exactly the jobs Oban's Pruner deletes", "[pruner]") {
  TestSchema schema{"pruner"};
  db::ConnectionPool pool{schema.dsn(), 1};
  const auto now = start_time();
  oban::ManualClock clock{now};
  const auto old = now - 2h;
  const auto recent = now - 10s;

  // Completed is judged by scheduled_at, not completed_at.
  const auto completed_old = insert_job(schema, {"completed", "q1", old, recent, {}, {}});
  const auto completed_recent = insert_job(schema, {"completed", "q1", recent, old, {}, {}});
  const auto completed_boundary = insert_job(schema, {"completed", "q1", now - 60s, old, {}, {}});
  // Cancelled by cancelled_at.
  const auto cancelled_old = insert_job(schema, {"cancelled", "q2", recent, {}, now - 61s, {}});
  const auto cancelled_recent = insert_job(schema, {"cancelled", "q2", old, {}, now - 59s, {}});
  // Discarded by discarded_at.
  const auto discarded_old = insert_job(schema, {"discarded", "q3", recent, {}, {}, old});
  const auto discarded_recent = insert_job(schema, {"discarded", "q3", old, {}, {}, now - 30s});
  // Unfinished states never, however old (even with stray finish timestamps).
  std::vector<std::int64_t> unfinished;
  for (const auto* state : {"available", "scheduled", "executing", "retryable", "suspended"}) {
    unfinished.push_back(insert_job(schema, {state, "q4", old, old, old, old}));
  }

  Pruner pruner{pool, config_for(schema), clock};
  const auto pruned = sorted(pruner.run_once());
  CHECK(pruned == std::vector<JobSummary>{{completed_old, "q1", JobState::completed},
                                          {cancelled_old, "q2", JobState::cancelled},
                                          {discarded_old, "q3", JobState::discarded}});
  std::vector<std::int64_t> expected{completed_recent, completed_boundary, cancelled_recent, discarded_recent};
  expected.insert(expected.end(), unfinished.begin(), unfinished.end());
  std::sort(expected.begin(), expected.end());
  CHECK(remaining_ids(schema) == expected);

  CHECK(pruner.run_once().empty());
  // Time passes on the clock: the recent ones age out.
  clock.advance(2min);
  const auto later = sorted(pruner.run_once());
  CHECK(later == std::vector<JobSummary>{{completed_recent, "q1", JobState::completed},
                                         {completed_boundary, "q1", JobState::completed},
                                         {cancelled_recent, "q2", JobState::cancelled},
                                         {discarded_recent, "q3", JobState::discarded}});
  CHECK(remaining_ids(schema) == unfinished);
}

TEST_CASE("run_once respects limit and max_age", "[pruner]") {
  TestSchema schema{"pruner"};
  db::ConnectionPool pool{schema.dsn(), 1};
  const auto now = start_time();
  oban::ManualClock clock{now};
  for (int i = 0; i < 5; ++i) insert_job(schema, {"completed", "q", now - 2h, now - 2h, {}, {}});

  auto config = config_for(schema);
  config.limit = 2;
  config.max_age = 3h;
  Pruner pruner{pool, config, clock};
  CHECK(pruner.run_once().empty());  // younger than max_age
  clock.advance(1h + 1s);
  CHECK(pruner.run_once().size() == 2);
  CHECK(remaining_ids(schema).size() == 3);
  CHECK(pruner.run_once().size() == 2);
  CHECK(pruner.run_once().size() == 1);
  CHECK(remaining_ids(schema).empty());
}

TEST_CASE("the pruner loop prunes only while leader", "[pruner]") {
  TestSchema schema{"pruner"};
  db::ConnectionPool pool{schema.dsn(), 1};
  const auto now = start_time();
  oban::ManualClock clock{now};
  insert_job(schema, {"completed", "q", now - 2h, now - 2h, {}, {}});

  std::atomic<bool> leader{false};
  std::atomic<int> asked{0};
  auto config = config_for(schema);
  config.interval = 10ms;
  Pruner pruner{pool, config, clock};
  oban::plugins::PluginRunner runner{pruner, [&] {
    ++asked;
    return leader.load();
  }};
  runner.start();
  REQUIRE(cluster_test::wait_for([&] { return asked >= 3; }));
  CHECK(remaining_ids(schema).size() == 1);
  leader = true;
  CHECK(cluster_test::wait_for([&] { return remaining_ids(schema).empty(); }));
  runner.stop();
  runner.stop();
}
