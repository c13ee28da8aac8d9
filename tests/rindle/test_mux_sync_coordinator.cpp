// Rindle's MuxSyncCoordinator: the scan, the unique fan-out, and Elixir's rows as conflicts.
#include <catch2/catch.hpp>

#include "oban/db/identifiers.hpp"
#include "rindle/mux_sync_coordinator.hpp"
#include "rindle/mux_sync_provider_asset.hpp"
#include "support/rindle_fixture.hpp"

using namespace std::chrono_literals;
using test_support::RindleFixture;

namespace {
int count_jobs(RindleFixture& f, const std::string& where = "true") {
  pqxx::read_transaction tx{f.schema.conn()};
  return tx.exec("SELECT count(*) FROM " + f.schema.jobs_table() + " WHERE " + where)[0][0].as<int>();
}
}  // namespace

TEST_CASE("the coordinator enqueues one unique job per stale row", "[rindle][coordinator]") {
  RindleFixture f;
  f.add_provider_asset("stale-processing", "processing", 31s);
  f.add_provider_asset("stale-uploading", "uploading", 45s);
  f.add_provider_asset("fresh", "processing", 29s);
  f.add_provider_asset("done", "ready", 600s);
  rindle::MuxSyncCoordinator coordinator{f.services};
  const auto run = coordinator.run_once();
  CHECK(run.rows_scanned == 2);
  CHECK(run.jobs_enqueued == 2);
  CHECK(run.jobs_conflicted == 0);
  pqxx::read_transaction tx{f.schema.conn()};
  auto rows = tx.exec("SELECT worker, queue, args::text, max_attempts, state::text, meta::text, tags::text FROM " +
                      f.schema.jobs_table() + " ORDER BY id");
  REQUIRE(rows.size() == 2);
  // Oldest first.
  CHECK(std::string{rows[0][2].c_str()} == R"({"provider_asset_id": "stale-uploading"})");
  CHECK(std::string{rows[0][0].c_str()} == "Rindle.Workers.MuxSyncProviderAsset");
  CHECK(std::string{rows[0][1].c_str()} == "rindle_provider");
  CHECK(rows[0][3].as<int>() == 3);
  CHECK(std::string{rows[0][4].c_str()} == "available");
  CHECK(std::string{rows[0][5].c_str()} == "{}");
  CHECK(std::string{rows[0][6].c_str()} == "{}");
}

TEST_CASE("running the coordinator twice within 60 s enqueues nothing the second time", "[rindle][coordinator]") {
  RindleFixture f;
  for (int i = 0; i < 25; ++i) f.add_provider_asset("asset-" + std::to_string(i), "processing", 40s);
  rindle::MuxSyncCoordinator coordinator{f.services};
  CHECK(coordinator.run_once().jobs_enqueued == 25);
  // inserted_at comes from the database clock; the manual clock started at the real time.
  f.clock.advance(50s);
  const auto second = coordinator.run_once();
  CHECK(second.jobs_enqueued == 0);
  CHECK(second.jobs_conflicted == 25);
  CHECK(count_jobs(f) == 25);
  // Past the 60 s period, the jobs count as new again (Oban's period semantics).
  f.clock.advance(20s);
  CHECK(coordinator.run_once().jobs_enqueued == 25);
}

TEST_CASE("a per-row job that Elixir inserted earlier counts as a conflict", "[rindle][coordinator]") {
  RindleFixture f;
  f.add_provider_asset("from-elixir", "processing", 40s);
  f.add_provider_asset("from-cpp", "processing", 40s);
  {
    // The INSERT Elixir's Oban.insert sends (fixture sql-log.txt), inserted_at from the DB clock
    // pinned to the manual clock's now.
    pqxx::work tx{f.schema.conn()};
    tx.exec_params("INSERT INTO " + f.schema.jobs_table() +
                       " (args, attempt, errors, max_attempts, meta, queue, state, tags, worker, inserted_at)"
                       " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::timestamp) ON CONFLICT DO NOTHING RETURNING id",
                   R"({"provider_asset_id": "from-elixir"})", 0, "{}", 3, "{}", "rindle_provider", "available", "{}",
                   "Rindle.Workers.MuxSyncProviderAsset", oban::format_sql_timestamp(f.clock.now() - 10s));
    tx.commit();
  }
  rindle::MuxSyncCoordinator coordinator{f.services};
  const auto run = coordinator.run_once();
  CHECK(run.rows_scanned == 2);
  CHECK(run.jobs_enqueued == 1);
  CHECK(run.jobs_conflicted == 1);
  CHECK(count_jobs(f) == 2);
}

TEST_CASE("the batch size and floor come from Rindle's settings", "[rindle][coordinator]") {
  RindleFixture f;
  for (int i = 0; i < 10; ++i) f.add_provider_asset("row-" + std::to_string(i), "uploading", 100s);
  f.services.config.polling_batch_size = 4;
  f.services.config.polling_floor = 200s;
  rindle::MuxSyncCoordinator coordinator{f.services};
  CHECK(coordinator.run_once().rows_scanned == 0);
  f.services.config.polling_floor = 30s;
  CHECK(coordinator.run_once().jobs_enqueued == 4);
}
