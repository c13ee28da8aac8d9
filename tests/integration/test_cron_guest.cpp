// Cron once per minute when an Elixir crontab lists the same entry: Elixir's Cron inserts
// shortly after the boundary without checking anything, so the C++ leader waits its delay
// (default 5 s) after the boundary, then skips an entry already inserted for the minute.
// Driven on a manual clock by the plugin's own schedule (next_delay) and Elixir's INSERT
// from the fixture's sql-log.txt.
#include <catch2/catch.hpp>

#include <optional>

#include "cron_test_helpers.hpp"
#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/plugins/cron.hpp"
#include "support/test_database.hpp"

using namespace std::chrono_literals;
using cron_test::jobs_per_minute;
using cron_test::kCoordinator;
using oban::plugins::Cron;
using oban::plugins::CronEntry;
using test_support::TestSchema;

namespace {

oban::Timestamp at(const char* text) { return oban::parse_sql_timestamp(text); }

CronEntry every_minute() {
  CronEntry entry;
  entry.expression = "* * * * *";
  entry.worker = kCoordinator;
  return entry;
}

struct Fixture {
  TestSchema schema{"cronguest"};
  oban::db::ConnectionPool pool{schema.dsn(), 3};
  oban::ManualClock clock{at("2026-11-28 09:33:30")};
  oban::Inserter inserter{pool, schema.prefix(), clock};
  oban::WorkerRegistry registry = cron_test::coordinator_registry();
  bool leader = true;
  // With the default delay, as the node builds it.
  Cron cron{pool, inserter, registry, {every_minute()}, "Etc/UTC", clock, [this] { return leader; }};
};

// inserted_at of every coordinator job, in order.
std::vector<std::string> insert_times(TestSchema& schema) {
  pqxx::read_transaction tx{schema.conn()};
  std::vector<std::string> out;
  for (const auto& row : tx.exec("SELECT to_char(inserted_at, 'HH24:MI:SS.MS') FROM " + schema.jobs_table() +
                                 " WHERE worker = '" + kCoordinator + "' ORDER BY inserted_at")) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

}  // namespace

TEST_CASE("an entry Elixir's cron inserts 0.5 s or 2 s after the boundary is inserted once a minute", "[cron][guest]") {
  Fixture f;
  // Per minute from 09:34: Elixir's insert this long after the boundary, or none (an
  // Elixir crontab without the entry, or no Elixir leader that minute).
  const std::vector<std::optional<std::chrono::milliseconds>> elixir{500ms, 2000ms, std::nullopt,
                                                                     500ms, std::nullopt, 2000ms};
  const auto first_minute = at("2026-11-28 09:34:00");
  auto next_cron = f.clock.now() + f.cron.next_delay();
  std::size_t next_elixir = 0;
  const auto elixir_time = [&](std::size_t i) { return first_minute + std::chrono::minutes{i} + *elixir[i]; };
  const auto skip_absent = [&] {
    while (next_elixir < elixir.size() && !elixir[next_elixir]) ++next_elixir;
  };
  skip_absent();
  const auto end = first_minute + std::chrono::minutes{elixir.size()};
  int evaluations = 0;
  // Whatever comes first, the plugin's next wake-up (its own next_delay) or Elixir's insert.
  while (f.clock.now() < end) {
    if (next_elixir < elixir.size() && elixir_time(next_elixir) <= next_cron) {
      f.clock.set(elixir_time(next_elixir));
      cron_test::elixir_cron_insert(f.schema, f.clock.now());
      ++next_elixir;
      skip_absent();
      continue;
    }
    f.clock.set(next_cron);
    if (f.clock.now() >= end) break;
    f.cron.run_once();
    ++evaluations;
    next_cron = f.clock.now() + f.cron.next_delay();
  }
  CHECK(evaluations == 6);  // one wake-up a minute, 5 s after each boundary
  CHECK(jobs_per_minute(f.schema) == std::map<std::string, int>{{"2026-11-28 09:34", 1},
                                                                  {"2026-11-28 09:35", 1},
                                                                  {"2026-11-28 09:36", 1},
                                                                  {"2026-11-28 09:37", 1},
                                                                  {"2026-11-28 09:38", 1},
                                                                  {"2026-11-28 09:39", 1}});
  // Elixir's rows where it inserted; the C++ leader's 5 s in where it did not.
  CHECK(insert_times(f.schema) == std::vector<std::string>{"09:34:00.500", "09:35:02.000", "09:36:05.005",
                                                           "09:37:00.500", "09:38:05.005", "09:39:02.000"});
}

TEST_CASE("next_delay waits for the boundary plus the delay", "[cron][guest]") {
  Fixture f;
  CHECK(f.cron.delay() == Cron::kDefaultDelay);
  CHECK(Cron::kDefaultDelay == 5000ms);
  f.clock.set(at("2026-11-28 09:33:30"));
  CHECK(f.cron.next_delay() == 35005ms);  // 09:34:05 and a little
  f.clock.set(at("2026-11-28 09:34:00.005"));
  CHECK(f.cron.next_delay() == 5000ms);  // a wake-up right after the boundary waits on
  f.clock.set(at("2026-11-28 09:34:05.005"));
  CHECK(f.cron.next_delay() == 60000ms);  // just evaluated: the next minute's
  f.clock.set(at("2026-11-28 09:34:59.999"));
  CHECK(f.cron.next_delay() == 5006ms);
}

TEST_CASE("before the delay has passed no evaluation inserts, also on gaining leadership", "[cron][guest]") {
  Fixture f;
  f.leader = false;
  f.clock.set(at("2026-11-28 09:34:00.005"));
  CHECK(f.cron.run_once().inserted.empty());
  // Gains leadership 1 s into the minute: the catch-up must not race Elixir's insert.
  f.leader = true;
  f.clock.set(at("2026-11-28 09:34:01"));
  const auto early = f.cron.run_once();
  CHECK(early.inserted.empty());
  CHECK(early.skipped.empty());
  CHECK(f.cron.next_delay() == 4005ms);
  f.clock.set(at("2026-11-28 09:34:02"));
  cron_test::elixir_cron_insert(f.schema, f.clock.now());
  f.clock.set(at("2026-11-28 09:34:05.005"));
  CHECK(f.cron.run_once().skipped == std::vector<std::string>{kCoordinator});
  // Gained after the delay in a minute nobody served: inserted at once.
  f.leader = false;
  f.clock.set(at("2026-11-28 09:35:05.005"));
  CHECK(f.cron.run_once().inserted.empty());  // not leader when the timer fired
  f.leader = true;
  f.clock.set(at("2026-11-28 09:35:20"));
  CHECK(f.cron.run_once().inserted == std::vector<std::string>{kCoordinator});
  CHECK(jobs_per_minute(f.schema) ==
        std::map<std::string, int>{{"2026-11-28 09:34", 1}, {"2026-11-28 09:35", 1}});
}

TEST_CASE("the cron delay is validated", "[cron][guest]") {
  TestSchema schema{"cronguest"};
  oban::db::ConnectionPool pool{schema.dsn(), 1};
  oban::ManualClock clock{at("2026-11-28 09:33:30")};
  oban::Inserter inserter{pool, schema.prefix(), clock};
  const auto registry = cron_test::coordinator_registry();
  const auto make = [&](std::chrono::milliseconds delay) {
    return std::make_unique<Cron>(pool, inserter, registry, std::vector{every_minute()}, "Etc/UTC", clock,
                                  [] { return true; }, delay);
  };
  CHECK_THROWS_WITH(make(60000ms), Catch::Matchers::Contains("cron delay"));
  CHECK_THROWS_WITH(make(-1ms), Catch::Matchers::Contains("cron delay"));
  CHECK_NOTHROW(make(0ms));
  CHECK_NOTHROW(make(59999ms));
}
