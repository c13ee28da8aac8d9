// Several C++ nodes sharing one schema: leader election plus cron over minutes of a manual
// clock (one coordinator job per minute across a killed leader and a clean hand-over), and
// two real oban::Node instances handing leadership over through the down notification.
#include <catch2/catch.hpp>

#include <memory>

#include "cluster_test_helpers.hpp"
#include "cron_test_helpers.hpp"
#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/peer/peer.hpp"
#include "oban/plugins/cron.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"
#include "support/test_database.hpp"

using namespace std::chrono_literals;
using cron_test::jobs_per_minute;
using cron_test::kCoordinator;
using oban::Timestamp;
using test_support::TestSchema;
namespace db = oban::db;

namespace {

oban::plugins::CronEntry coordinator_entry() {
  oban::plugins::CronEntry entry;
  entry.expression = "* * * * *";
  entry.worker = kCoordinator;
  return entry;
}

// One C++ node's cluster duties, driven by the test instead of timers.
struct Member {
  Member(TestSchema& schema, const std::string& node, const oban::Clock& clock, const oban::WorkerRegistry& registry)
      : pool(schema.dsn(), 2), inserter(pool, schema.prefix(), clock) {
    oban::peer::PeerConfig config;
    config.node = node;
    config.prefix = schema.prefix();
    peer = std::make_unique<oban::peer::Peer>(pool, config, clock);
    cron = std::make_unique<oban::plugins::Cron>(pool, inserter, registry, std::vector{coordinator_entry()},
                                                 "Etc/UTC", clock, [this] { return peer->is_leader(); });
  }

  db::ConnectionPool pool;
  oban::Inserter inserter;
  std::unique_ptr<oban::peer::Peer> peer;
  std::unique_ptr<oban::plugins::Cron> cron;
  bool killed = false;   // the process "died": nothing of it runs any more
  Timestamp next_election{};
};

int leaders(const std::vector<std::unique_ptr<Member>>& members) {
  int count = 0;
  for (const auto& member : members) count += member->peer->is_leader() ? 1 : 0;
  return count;
}

int leader_index(const std::vector<std::unique_ptr<Member>>& members) {
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (!members[i]->killed && members[i]->peer->is_leader()) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

TEST_CASE("three peers insert exactly one coordinator job per minute across a kill and a clean stop", "[cluster][cron]") {
  TestSchema schema{"cluster"};
  const auto registry = cron_test::coordinator_registry();
  oban::ManualClock clock{oban::parse_sql_timestamp("2026-11-28 10:00:10.25")};
  std::vector<std::unique_ptr<Member>> members;
  for (const char* node : {"cpp-a", "cpp-b", "cpp-c"}) {
    members.push_back(std::make_unique<Member>(schema, node, clock, registry));
  }
  auto listener_conn = db::connect(schema.dsn());
  cluster_test::Listener down_listener{*listener_conn, db::channel(schema.prefix(), "leader")};

  // Each minute is evaluated cron's delay (5 s) after its boundary: the kill comes 5 s after
  // 10:02 was served, the clean stop 15 s after 10:03 was.
  const auto kill_at = oban::parse_sql_timestamp("2026-11-28 10:02:10.25");
  const auto clean_stop_at = oban::parse_sql_timestamp("2026-11-28 10:03:20.25");
  const auto end = oban::parse_sql_timestamp("2026-11-28 10:05:10.25");
  int first_leader = -1, second_leader = -1, third_leader = -1;
  Timestamp takeover_at{};
  std::map<std::string, std::string> inserted_by;  // minute -> node

  // Elections as the Peer schedules them when leading (next_delay: 13.5-15 s); followers
  // try every 5 s step, so a lapsed lease is taken over at the first step after it expires.
  const auto elect_due = [&] {
    for (auto& member : members) {
      if (member->killed || clock.now() < member->next_election) continue;
      const bool leads = member->peer->run_election();
      member->next_election = clock.now() + (leads ? member->peer->next_delay() : std::chrono::milliseconds{5000});
    }
  };

  elect_due();
  first_leader = leader_index(members);
  REQUIRE(first_leader == 0);  // the first to run wins; the others lose while its lease lives
  REQUIRE(leaders(members) == 1);

  while (clock.now() < end) {
    clock.advance(5s);
    const auto now = clock.now();

    if (now == kill_at) {
      // Killed: no resign, no more elections or cron; its row stays until it expires.
      members[static_cast<std::size_t>(first_leader)]->killed = true;
    }
    if (now == clean_stop_at) {
      REQUIRE(second_leader >= 0);
      auto& leaving = *members[static_cast<std::size_t>(second_leader)];
      leaving.peer->stop();  // resigns: deletes its row and NOTIFYs {"down":"oban-cpp"}
      leaving.killed = true;
      CHECK(down_listener.collect(1) == std::vector<std::string>{R"({"down":"oban-cpp"})"});
      // What each remaining node's LISTEN connection hands to its peer.
      for (auto& member : members) {
        if (!member->killed) member->peer->handle_leader_message(down_listener.payloads.front());
      }
      third_leader = leader_index(members);
      CHECK(third_leader >= 0);  // at the same instant, without waiting for any timer
      CHECK(third_leader != second_leader);
      CHECK(third_leader != first_leader);
    }

    elect_due();
    // Never two leaders, not even counting the killed node, whose lease has run out on
    // the clock by the time another can win.
    CHECK(leaders(members) <= 1);
    if (now >= kill_at && second_leader < 0 && leader_index(members) >= 0) {
      second_leader = leader_index(members);
      takeover_at = now;
    }

    const auto evaluated = [](Timestamp t) {
      return std::chrono::floor<std::chrono::minutes>(t - oban::plugins::Cron::kDefaultDelay);
    };
    if (evaluated(now) != evaluated(now - 5s)) {
      // A minute's evaluation time (boundary + delay): every running node's cron ticks; only
      // the leader inserts.
      int inserted = 0;
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (members[i]->killed) continue;
        const auto tick = members[i]->cron->run_once();
        CHECK(tick.skipped.empty());
        if (!tick.inserted.empty()) {
          inserted += static_cast<int>(tick.inserted.size());
          inserted_by[oban::format_sql_timestamp(now).substr(0, 16)] = members[i]->peer->config().node;
        }
      }
      INFO(oban::format_sql_timestamp(now));
      CHECK(inserted == 1);
    }
  }

  REQUIRE(second_leader >= 0);
  CHECK(second_leader != first_leader);
  // The killed leader renewed at most 15 s before it died, so its lease lapsed within 30 s
  // of the kill, and the next 5 s step elected another node: well within the same minute.
  CHECK(takeover_at - kill_at <= 35s);
  CHECK(takeover_at < oban::parse_sql_timestamp("2026-11-28 10:03:00"));

  CHECK(jobs_per_minute(schema) == std::map<std::string, int>{{"2026-11-28 10:01", 1},
                                                              {"2026-11-28 10:02", 1},
                                                              {"2026-11-28 10:03", 1},
                                                              {"2026-11-28 10:04", 1},
                                                              {"2026-11-28 10:05", 1}});
  const auto node_of = [&](int index) { return members[static_cast<std::size_t>(index)]->peer->config().node; };
  CHECK(inserted_by == std::map<std::string, std::string>{{"2026-11-28 10:01", node_of(first_leader)},
                                                          {"2026-11-28 10:02", node_of(first_leader)},
                                                          {"2026-11-28 10:03", node_of(second_leader)},
                                                          {"2026-11-28 10:04", node_of(third_leader)},
                                                          {"2026-11-28 10:05", node_of(third_leader)}});
}

TEST_CASE("a leader that resigns mid-minute hands over without a second insert for that minute", "[cluster][cron]") {
  TestSchema schema{"cluster"};
  const auto registry = cron_test::coordinator_registry();
  // 10:00's evaluation time: its boundary + cron's 5 s delay.
  oban::ManualClock clock{oban::parse_sql_timestamp("2026-11-28 10:00:05.25")};
  Member a{schema, "cpp-a", clock, registry};
  Member b{schema, "cpp-b", clock, registry};
  REQUIRE(a.peer->run_election());
  REQUIRE_FALSE(b.peer->run_election());
  CHECK(a.cron->run_once().inserted.size() == 1);
  CHECK(b.cron->run_once().inserted.empty());

  clock.advance(20s);
  a.peer->stop();
  b.peer->handle_leader_message(R"({"down":"oban-cpp"})");
  REQUIRE(b.peer->is_leader());
  // Even if the new leader evaluated the same minute again, the minute is already served.
  const auto tick = b.cron->run_once();
  CHECK(tick.inserted.empty());
  CHECK(tick.skipped == std::vector<std::string>{kCoordinator});
  for (int i = 0; i < 2; ++i) {  // renewing as its timer would, every 15 s
    clock.advance(15s);
    REQUIRE(b.peer->run_election());
  }
  clock.advance(10s);  // 10:01:05.25
  CHECK(b.cron->run_once().inserted.size() == 1);
  CHECK(a.cron->run_once().inserted.empty());
  CHECK(jobs_per_minute(schema) == std::map<std::string, int>{{"2026-11-28 10:00", 1}, {"2026-11-28 10:01", 1}});
}

TEST_CASE("two real nodes: one leads, stopping it makes the other lead through the down notification",
          "[cluster]") {
  TestSchema schema{"cluster"};
  auto registry = cron_test::coordinator_registry();
  const auto config_for = [&](const std::string& node) {
    oban::NodeConfig config;
    config.dsn = schema.dsn();
    config.prefix = schema.prefix();
    config.node = node;
    config.crontab = {coordinator_entry()};
    config.shutdown_grace = 1s;
    return config;
  };
  auto a = std::make_unique<oban::Node>(config_for("cpp-a"), registry);
  auto b = std::make_unique<oban::Node>(config_for("cpp-b"), registry);
  a->start();
  b->start();
  REQUIRE(oban::internals(*a).cron() != nullptr);
  REQUIRE(oban::internals(*b).cron() != nullptr);
  REQUIRE(cluster_test::wait_for([&] { return a->is_leader() || b->is_leader(); }));
  REQUIRE(cluster_test::wait_for(
      [&] { return oban::internals(*a).notifier()->connected() && oban::internals(*b).notifier()->connected(); }));
  // Both elected at start; the lease is 30 s, so the loser stays a follower.
  CHECK(a->is_leader() != b->is_leader());

  auto& leader = a->is_leader() ? a : b;
  auto& follower = a->is_leader() ? b : a;
  const auto started = std::chrono::steady_clock::now();
  leader->stop();
  CHECK_FALSE(leader->is_leader());
  CHECK(cluster_test::wait_for([&] { return follower->is_leader(); }, 2000ms));
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  {
    pqxx::read_transaction tx{schema.conn()};
    CHECK(tx.exec_params("SELECT node FROM " + db::qualified(schema.prefix(), "oban_peers") + " WHERE name = $1",
                         "oban-cpp")[0][0]
              .as<std::string>() == follower->name());
  }
  follower->stop();
  CHECK_FALSE(follower->is_leader());
}
