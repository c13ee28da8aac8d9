// The Cron plugin on a real PostgreSQL with a manual clock: the rows it writes match what
// Elixir's cron wrote (fixture row 1), leader-only, @reboot, the same-minute skip (also
// against a row Elixir inserted), notifications and crontab validation.
#include <catch2/catch.hpp>

#include "cluster_test_helpers.hpp"
#include "cron_test_helpers.hpp"
#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/json/json_object.hpp"
#include "oban/plugins/cron.hpp"
#include "oban/plugins/plugin_runner.hpp"
#include "support/pg_dump.hpp"
#include "support/test_database.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using cron_test::count_jobs;
using cron_test::elixir_cron_insert;
using cron_test::jobs_per_minute;
using cron_test::kCoordinator;
using oban::plugins::CronEntry;
using oban::plugins::Cron;
using test_support::TestSchema;
namespace db = oban::db;
namespace json = oban::json;

namespace {

// The time Elixir's cron inserted fixture row 1.
oban::Timestamp fixture_insert_time() { return oban::parse_sql_timestamp("2026-11-28 09:34:00.442906"); }

CronEntry entry(const std::string& expression, const std::string& worker = kCoordinator) {
  CronEntry out;
  out.expression = expression;
  out.worker = worker;
  return out;
}

struct Fixture {
  TestSchema schema{"cron"};
  db::ConnectionPool pool{schema.dsn(), 3};
  oban::ManualClock clock{fixture_insert_time()};
  oban::Inserter inserter{pool, schema.prefix(), clock};
  oban::WorkerRegistry registry = cron_test::coordinator_registry();
  bool leader = true;

  // These tests are about what is inserted and when a minute counts as served, so they
  // evaluate right at the clock's time: no delay after the boundary (test_cron_guest.cpp
  // covers the delay).
  std::unique_ptr<Cron> cron(std::vector<CronEntry> crontab, const std::string& zone = "Etc/UTC",
                             std::chrono::milliseconds delay = 0ms) {
    return std::make_unique<Cron>(pool, inserter, registry, std::move(crontab), zone, clock, [this] { return leader; },
                                  delay);
  }
};

std::string row_json(TestSchema& schema, const std::string& where) {
  pqxx::read_transaction tx{schema.conn()};
  auto rows = tx.exec("SELECT row_to_json(j)::text FROM " + schema.jobs_table() + " AS j WHERE " + where);
  REQUIRE(rows.size() == 1);
  return rows[0][0].c_str();
}

}  // namespace

TEST_CASE("cron_name_of matches Elixir's phash2 of {expr, worker, opts}", "[cron]") {
  CHECK(Cron::cron_name_of(entry("* * * * *", "MyApp.Worker")) == "134037757");
  auto with_args = entry("0 * * * *", "MyApp.Worker");
  with_args.args = R"({"id":1})";
  CHECK(Cron::cron_name_of(with_args) == "104457797");
  // Rindle's crontab entry, as fixture row 1 carries it.
  CHECK(Cron::cron_name_of(entry("* * * * *")) == "104637035");
  // Options change the name (they are part of the hashed term).
  auto with_queue = entry("* * * * *");
  with_queue.queue = "rindle_provider";
  CHECK(Cron::cron_name_of(with_queue) != "104637035");
}

TEST_CASE("a matching minute inserts the row Elixir's cron wrote (fixture row 1)", "[cron]") {
  Fixture f;
  auto cron = f.cron({entry("* * * * *")});
  auto tick = cron->run_once();
  CHECK(tick.inserted == std::vector<std::string>{kCoordinator});
  CHECK(tick.skipped.empty());
  REQUIRE(count_jobs(f.schema) == 1);

  const auto ours = json::JsonObject::parse(row_json(f.schema, "true"));
  const auto theirs = json::JsonObject::parse(cron_test::fixture_row(1));
  CHECK(ours.keys().size() == theirs.keys().size());
  for (const char* column : {"queue", "worker", "args", "errors", "max_attempts", "priority", "tags", "meta",
                             "discarded_at", "cancelled_at"}) {
    INFO(column);
    CHECK(ours.raw(column) == theirs.raw(column));
  }
  {
    // The stored jsonb, as the fixture (and Elixir's INSERT parameter) spells it.
    pqxx::read_transaction tx{f.schema.conn()};
    CHECK(tx.exec("SELECT meta::text FROM " + f.schema.jobs_table())[0][0].as<std::string>() ==
          R"({"cron": true, "cron_tz": "Etc/UTC", "cron_expr": "* * * * *", "cron_name": "104637035"})");
  }
  CHECK(*ours.raw("args") == "{}");
  CHECK(*ours.raw("tags") == "[]");
  CHECK(*ours.raw("max_attempts") == "1");
  // Fixture row 1 ran afterwards; at insert it was available with attempt 0.
  CHECK(*ours.raw("state") == R"("available")");
  CHECK(*ours.raw("attempt") == "0");
  CHECK(*ours.raw("attempted_by") == "null");
  CHECK(*ours.raw("attempted_at") == "null");
  CHECK(*ours.raw("completed_at") == "null");
  // Stamped from the node's clock, and like Elixir's row, scheduled when inserted.
  CHECK(*ours.raw("inserted_at") == R"("2026-11-28T09:34:00.442906")");
  CHECK(ours.raw("scheduled_at") == ours.raw("inserted_at"));
  CHECK(theirs.raw("scheduled_at") == theirs.raw("inserted_at"));
}

TEST_CASE("without a registered worker the entry's options and Oban's defaults apply", "[cron]") {
  Fixture f;
  f.registry = oban::WorkerRegistry{};
  auto plain = entry("* * * * *", "MyApp.Unknown");
  auto custom = entry("* * * * *", "MyApp.Custom");
  custom.queue = "scheduled";
  custom.max_attempts = 2;
  custom.args = R"({"mode":"business"})";
  auto cron = f.cron({plain, custom});
  CHECK(cron->run_once().inserted == std::vector<std::string>{"MyApp.Unknown", "MyApp.Custom"});
  pqxx::read_transaction tx{f.schema.conn()};
  auto rows = tx.exec("SELECT worker, queue, max_attempts, args::text, meta->>'cron_name' FROM " +
                      f.schema.jobs_table() + " ORDER BY id");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][0].as<std::string>() == "MyApp.Unknown");
  CHECK(rows[0][1].as<std::string>() == "default");
  CHECK(rows[0][2].as<int>() == 20);
  CHECK(rows[0][3].as<std::string>() == "{}");
  CHECK(rows[0][4].as<std::string>() == Cron::cron_name_of(plain));
  CHECK(rows[1][1].as<std::string>() == "scheduled");
  CHECK(rows[1][2].as<int>() == 2);
  CHECK(rows[1][3].as<std::string>() == R"({"mode": "business"})");
  CHECK(rows[1][4].as<std::string>() == Cron::cron_name_of(custom));
}

TEST_CASE("only matching entries are inserted, and only by the leader", "[cron]") {
  Fixture f;
  // 09:34 UTC: "0 * * * *" does not match, "34 9 * * *" does; 10:34 in Berlin (CET, UTC+1).
  auto hourly = entry("0 * * * *", "MyApp.Hourly");
  auto at_934 = entry("34 9 * * *", "MyApp.At934");
  auto cron = f.cron({hourly, at_934});

  f.leader = false;
  auto tick = cron->run_once();
  CHECK(tick.inserted.empty());
  CHECK(tick.skipped.empty());
  CHECK(count_jobs(f.schema) == 0);

  f.leader = true;
  CHECK(cron->run_once().inserted == std::vector<std::string>{"MyApp.At934"});
  f.clock.advance(60s);  // 09:35: neither matches
  CHECK(cron->run_once().inserted.empty());
  f.clock.set(oban::parse_sql_timestamp("2026-11-28 10:00:00.1"));
  CHECK(cron->run_once().inserted == std::vector<std::string>{"MyApp.Hourly"});
  CHECK(jobs_per_minute(f.schema, "MyApp.At934") == std::map<std::string, int>{{"2026-11-28 09:34", 1}});
  CHECK(jobs_per_minute(f.schema, "MyApp.Hourly") == std::map<std::string, int>{{"2026-11-28 10:00", 1}});

  SECTION("expressions are evaluated in the configured zone") {
    auto berlin = f.cron({entry("34 10 * * *", "MyApp.Berlin")}, "Europe/Berlin");
    f.clock.set(fixture_insert_time());
    CHECK(berlin->run_once().inserted == std::vector<std::string>{"MyApp.Berlin"});
    CHECK(row_json(f.schema, "worker = 'MyApp.Berlin'").find(R"("cron_tz": "Europe/Berlin")") != std::string::npos);
    f.clock.set(oban::parse_sql_timestamp("2026-11-28 10:34:00.1"));
    CHECK(berlin->run_once().inserted.empty());
  }
}

TEST_CASE("a second evaluation of the same minute inserts nothing", "[cron]") {
  Fixture f;
  auto cron = f.cron({entry("* * * * *")});
  CHECK(cron->run_once().inserted.size() == 1);
  f.clock.advance(30s);
  auto again = cron->run_once();
  CHECK(again.inserted.empty());
  CHECK(again.skipped == std::vector<std::string>{kCoordinator});
  // A second Cron (another C++ leader after a hand-over) skips it too.
  auto other = f.cron({entry("* * * * *")});
  CHECK(other->run_once().skipped == std::vector<std::string>{kCoordinator});
  CHECK(count_jobs(f.schema) == 1);
  f.clock.advance(30s);  // the next minute
  CHECK(cron->run_once().inserted == std::vector<std::string>{kCoordinator});
  CHECK(jobs_per_minute(f.schema) ==
        std::map<std::string, int>{{"2026-11-28 09:34", 1}, {"2026-11-28 09:35", 1}});
}

TEST_CASE("@reboot fires once, on the first evaluation as leader", "[cron]") {
  Fixture f;
  auto cron = f.cron({entry("@reboot", "MyApp.Boot"), entry("0 0 1 1 *", "MyApp.Never")});
  f.leader = false;
  CHECK(cron->run_once().inserted.empty());
  f.clock.advance(60s);
  f.leader = true;
  CHECK(cron->run_once().inserted == std::vector<std::string>{"MyApp.Boot"});
  for (int i = 0; i < 3; ++i) {
    f.clock.advance(60s);
    CHECK(cron->run_once().inserted.empty());
  }
  CHECK(count_jobs(f.schema) == 1);
  const auto meta = json::JsonObject::parse(row_json(f.schema, "worker = 'MyApp.Boot'")).object("meta");
  REQUIRE(meta);
  CHECK(meta->string("cron_expr") == "@reboot");
  CHECK(meta->string("cron_name") == Cron::cron_name_of(entry("@reboot", "MyApp.Boot")));
}

TEST_CASE("an available cron job sends one insert notification for its queue", "[cron]") {
  Fixture f;
  auto listener = db::connect(f.schema.dsn());
  cluster_test::Listener receiver{*listener, db::channel(f.schema.prefix(), "insert")};
  auto cron = f.cron({entry("* * * * *")});
  cron->run_once();
  CHECK(receiver.collect(1) == std::vector<std::string>{R"({"queue":"rindle_provider"})"});
  receiver.payloads.clear();
  cron->run_once();  // skipped: nothing inserted, nothing sent
  CHECK(receiver.collect(0, 0s).empty());
}

TEST_CASE("a job Elixir's cron inserted this minute stops the C++ leader inserting it again", "[cron]") {
  Fixture f;
  f.clock.set(oban::parse_sql_timestamp("2026-11-28 09:34:00.9"));
  elixir_cron_insert(f.schema, fixture_insert_time());
  // The row is Elixir's, byte for byte where the fixture has it.
  const auto elixir_row = json::JsonObject::parse(row_json(f.schema, "true"));
  CHECK(elixir_row.raw("meta") == json::JsonObject::parse(cron_test::fixture_row(1)).raw("meta"));

  auto cron = f.cron({entry("* * * * *")});
  auto tick = cron->run_once();
  CHECK(tick.inserted.empty());
  CHECK(tick.skipped == std::vector<std::string>{kCoordinator});
  CHECK(count_jobs(f.schema) == 1);

  // The next minute is ours.
  f.clock.set(oban::parse_sql_timestamp("2026-11-28 09:35:00.3"));
  CHECK(cron->run_once().inserted == std::vector<std::string>{kCoordinator});
  CHECK(jobs_per_minute(f.schema) ==
        std::map<std::string, int>{{"2026-11-28 09:34", 1}, {"2026-11-28 09:35", 1}});

  // An Elixir row from the previous minute does not count for this one.
  elixir_cron_insert(f.schema, oban::parse_sql_timestamp("2026-11-28 09:35:59.999"));
  f.clock.set(oban::parse_sql_timestamp("2026-11-28 09:36:00.2"));
  CHECK(cron->run_once().inserted == std::vector<std::string>{kCoordinator});
  CHECK(jobs_per_minute(f.schema) == std::map<std::string, int>{
                                         {"2026-11-28 09:34", 1}, {"2026-11-28 09:35", 2}, {"2026-11-28 09:36", 1}});
}

TEST_CASE("an invalid crontab throws listing every problem", "[cron]") {
  Fixture f;
  auto bad_expression = entry("61 * * * *", "MyApp.BadExpr");
  auto bad_args = entry("* * * * *", "MyApp.BadArgs");
  bad_args.args = "{not json";
  auto list_args = entry("* * * * *", "MyApp.ListArgs");
  list_args.args = "[1]";
  auto good = entry("* * * * *");
  try {
    f.cron({bad_expression, good, bad_args, list_args}, "Mars/Olympus_Mons");
    FAIL("no exception");
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    INFO(message);
    CHECK_THAT(message, Contains("Mars/Olympus_Mons"));
    CHECK_THAT(message, Contains("MyApp.BadExpr"));
    CHECK_THAT(message, Contains("MyApp.BadArgs"));
    CHECK_THAT(message, Contains("MyApp.ListArgs"));
    CHECK_THAT(message, !Contains(kCoordinator));
  }
  CHECK_THROWS_AS(f.cron({entry("* * * * *")}, "Nowhere/Nope"), std::invalid_argument);
  CHECK_NOTHROW(f.cron({good}, "America/New_York"));
}

TEST_CASE("start evaluates when the clock crosses a minute boundary; stop is prompt and idempotent", "[cron]") {
  Fixture f;
  f.clock.set(oban::parse_sql_timestamp("2026-11-28 09:34:59.95"));
  auto cron = f.cron({entry("* * * * *")});
  oban::plugins::PluginRunner runner{*cron, {}};
  runner.start();
  // The timer wakes when the 50 ms left of the clock's minute have passed (the manual clock
  // stands still, so each evaluation lands on the same minute until the test moves it).
  CHECK(cluster_test::wait_for([&] { return jobs_per_minute(f.schema).count("2026-11-28 09:34") == 1; }, 3000ms));
  f.clock.set(oban::parse_sql_timestamp("2026-11-28 09:35:59.95"));
  CHECK(cluster_test::wait_for([&] { return jobs_per_minute(f.schema).count("2026-11-28 09:35") == 1; }, 3000ms));
  // Back inside 09:35 (served already, so a late wake-up only skips): the next boundary is
  // about a minute away, and stop must not wait for it.
  f.clock.set(oban::parse_sql_timestamp("2026-11-28 09:35:00.5"));
  const auto stopping = std::chrono::steady_clock::now();
  runner.stop();
  CHECK(std::chrono::steady_clock::now() - stopping < 1s);
  runner.stop();
  const auto minutes = jobs_per_minute(f.schema);
  // Re-evaluating a minute skips it: one job each.
  CHECK(minutes == std::map<std::string, int>{{"2026-11-28 09:34", 1}, {"2026-11-28 09:35", 1}});
}
