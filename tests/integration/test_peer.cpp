// Leader election in oban_peers, as Oban 2.23.1's Database peer does it.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

#include "cluster_test_helpers.hpp"
#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/peer_store.hpp"
#include "oban/peer/peer.hpp"
#include "support/test_database.hpp"

using namespace std::chrono_literals;
using cluster_test::Listener;
using cluster_test::start_time;
using oban::format_sql_timestamp;
using oban::peer::Peer;
using oban::peer::PeerConfig;
using test_support::TestSchema;
namespace db = oban::db;

namespace {

struct PeerRow {
  std::string node;
  std::string started_at;
  std::string expires_at;
};

std::vector<PeerRow> peer_rows(TestSchema& schema, const std::string& name) {
  pqxx::read_transaction tx{schema.conn()};
  std::vector<PeerRow> rows;
  for (const auto& row : tx.exec_params("SELECT node, started_at::text, expires_at::text FROM " +
                                            db::qualified(schema.prefix(), "oban_peers") + " WHERE name = $1",
                                        name)) {
    rows.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()});
  }
  return rows;
}

std::size_t peer_count(TestSchema& schema) {
  pqxx::read_transaction tx{schema.conn()};
  return tx.exec("SELECT count(*) FROM " + db::qualified(schema.prefix(), "oban_peers"))[0][0].as<std::size_t>();
}

PeerConfig config_for(const TestSchema& schema, const std::string& node, const std::string& name = "oban-cpp") {
  PeerConfig config;
  config.name = name;
  config.node = node;
  config.prefix = schema.prefix();
  return config;
}

// The upsert an Elixir 2.23.1 node sends (sql-log.txt, "PEER ELECTION - first election").
void elixir_election(TestSchema& schema, const std::string& node, oban::Timestamp now) {
  const auto table = db::qualified(schema.prefix(), "oban_peers");
  pqxx::work tx{schema.conn()};
  tx.exec_params("DELETE FROM " + table + " AS o0 WHERE (o0.\"name\" = $1) AND (o0.\"expires_at\" < $2::timestamp)",
                 "Oban", format_sql_timestamp(now));
  tx.exec_params("INSERT INTO " + table +
                     " AS o0 (\"expires_at\",\"name\",\"node\",\"started_at\") VALUES ($1::timestamp,$2,$3,$4::timestamp) "
                     "ON CONFLICT (\"name\") DO UPDATE SET \"expires_at\" = $5::timestamp WHERE (o0.\"node\" = $6)",
                 format_sql_timestamp(now + 30s), "Oban", node, format_sql_timestamp(now),
                 format_sql_timestamp(now + 30s), node);
  tx.commit();
}

}  // namespace

TEST_CASE("the first election wins and writes the lease row", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::ManualClock clock{start_time()};
  Peer peer{pool, config_for(schema, "cpp-a"), clock};

  CHECK_FALSE(peer.is_leader());
  CHECK(peer.run_election());
  CHECK(peer.is_leader());
  const auto rows = peer_rows(schema, "oban-cpp");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].node == "cpp-a");
  CHECK(rows[0].started_at == "2026-11-28 09:33:56.451436");
  CHECK(rows[0].expires_at == "2026-11-28 09:34:26.451436");
  CHECK(db::get_leader(schema.conn(), schema.prefix(), "oban-cpp") == std::optional<std::string>{"cpp-a"});
}

TEST_CASE("a second node with the same name loses while the lease is live", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::ManualClock clock{start_time()};
  Peer a{pool, config_for(schema, "cpp-a"), clock};
  Peer b{pool, config_for(schema, "cpp-b"), clock};

  REQUIRE(a.run_election());
  clock.advance(29s);
  CHECK_FALSE(b.run_election());
  CHECK_FALSE(b.is_leader());
  CHECK(a.is_leader());
  const auto rows = peer_rows(schema, "oban-cpp");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].node == "cpp-a");
  CHECK(rows[0].expires_at == "2026-11-28 09:34:26.451436");  // untouched by the loser
}

TEST_CASE("the leader renews: expires_at moves, started_at stays", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::ManualClock clock{start_time()};
  Peer a{pool, config_for(schema, "cpp-a"), clock};

  REQUIRE(a.run_election());
  clock.advance(15s);
  CHECK(a.run_election());
  auto rows = peer_rows(schema, "oban-cpp");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].started_at == "2026-11-28 09:33:56.451436");
  CHECK(rows[0].expires_at == "2026-11-28 09:34:41.451436");
  // The renewed lease counts on the clock: past the first expiry it is still leader.
  clock.advance(20s);
  CHECK(a.is_leader());
}

TEST_CASE("a killed leader's row expires and the follower takes over", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::ManualClock clock{start_time()};
  Peer a{pool, config_for(schema, "cpp-a"), clock};
  Peer b{pool, config_for(schema, "cpp-b"), clock};

  REQUIRE(a.run_election());
  REQUIRE_FALSE(b.run_election());
  // a is "killed": it never elects or resigns again.
  clock.advance(30s);
  CHECK_FALSE(b.run_election());  // expires_at < now is strict: still live at exactly expires_at
  CHECK_FALSE(a.is_leader());     // ...but a no longer acts as leader at its own expires_at
  clock.advance(1us);
  CHECK(b.run_election());
  CHECK(b.is_leader());
  const auto rows = peer_rows(schema, "oban-cpp");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].node == "cpp-b");
  CHECK(rows[0].started_at == "2026-11-28 09:34:26.451437");
  CHECK(rows[0].expires_at == "2026-11-28 09:34:56.451437");
}

TEST_CASE("renewal never extends a row owned by another node (the 2.23.1 fix)", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::ManualClock clock{start_time()};
  Peer a{pool, config_for(schema, "cpp-a"), clock};
  Peer b{pool, config_for(schema, "cpp-b"), clock};

  REQUIRE(a.run_election());
  clock.advance(31s);
  REQUIRE(b.run_election());
  // a comes back believing it led; its renewal must neither win nor touch b's row.
  clock.advance(1s);
  CHECK_FALSE(a.run_election());
  CHECK_FALSE(a.is_leader());
  const auto rows = peer_rows(schema, "oban-cpp");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].node == "cpp-b");
  CHECK(rows[0].expires_at == "2026-11-28 09:34:57.451436");
}

TEST_CASE("resign deletes the row and sends exactly {\"down\":name} on the leader channel", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::ManualClock clock{start_time()};
  // Declared before the peer: its destructor resigns and reports the change.
  std::vector<bool> changes;
  Peer a{pool, config_for(schema, "cpp-a"), clock};
  a.on_change([&](bool leader) { changes.push_back(leader); });
  auto listen_conn = db::connect(schema.dsn());
  Listener listener{*listen_conn, schema.prefix() + ".oban_leader"};

  REQUIRE(a.run_election());
  a.resign();
  CHECK_FALSE(a.is_leader());
  CHECK(peer_count(schema) == 0);
  CHECK(listener.collect(1) == std::vector<std::string>{R"({"down":"oban-cpp"})"});
  CHECK(changes == std::vector<bool>{true, false});

  // A follower's resign does nothing and sends nothing.
  Peer b{pool, config_for(schema, "cpp-b"), clock};
  REQUIRE(a.run_election());
  REQUIRE_FALSE(b.run_election());
  b.resign();
  CHECK(peer_rows(schema, "oban-cpp").size() == 1);
  CHECK(listener.collect(1) == std::vector<std::string>{R"({"down":"oban-cpp"})"});
}

TEST_CASE("a node hearing down for its name re-elects at once and wins", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::ManualClock clock{start_time()};
  Peer a{pool, config_for(schema, "cpp-a"), clock};
  Peer b{pool, config_for(schema, "cpp-b"), clock};
  auto listen_conn = db::connect(schema.dsn());
  Listener listener{*listen_conn, schema.prefix() + ".oban_leader"};

  REQUIRE(a.run_election());
  REQUIRE_FALSE(b.run_election());
  a.resign();
  const auto payloads = listener.collect(1);
  REQUIRE(payloads.size() == 1);

  // Other names and malformed messages are ignored: no election runs.
  b.handle_leader_message(R"({"down":"Oban"})");
  b.handle_leader_message("not json");
  b.handle_leader_message(R"({"down":42})");
  CHECK(peer_count(schema) == 0);
  CHECK_FALSE(b.is_leader());

  b.handle_leader_message(payloads[0]);
  CHECK(b.is_leader());
  CHECK(peer_rows(schema, "oban-cpp").at(0).node == "cpp-b");
}

TEST_CASE("an oban-cpp peer and an Elixir \"Oban\" row coexist, each its own leader", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::ManualClock clock{start_time()};
  elixir_election(schema, "anchor-a", start_time());

  Peer cpp{pool, config_for(schema, "cpp-a"), clock};
  CHECK(cpp.run_election());
  CHECK(peer_count(schema) == 2);
  const auto elixir = peer_rows(schema, "Oban");
  REQUIRE(elixir.size() == 1);
  CHECK(elixir[0].node == "anchor-a");
  CHECK(elixir[0].expires_at == "2026-11-28 09:34:26.451436");

  // Joining the Elixir election under "Oban" loses while the Elixir lease is live...
  Peer joiner{pool, config_for(schema, "cpp-b", "Oban"), clock};
  clock.advance(10s);
  CHECK_FALSE(joiner.run_election());
  CHECK(peer_rows(schema, "Oban").at(0).node == "anchor-a");
  CHECK(cpp.run_election());
  // ...and the Elixir node, renewing under 2.23.1's rule, keeps its row.
  elixir_election(schema, "anchor-a", clock.now());
  CHECK(peer_rows(schema, "Oban").at(0).expires_at == "2026-11-28 09:34:36.451436");
  // Once the Elixir lease lapses, the C++ node takes "Oban", and the Elixir node's upsert
  // (WHERE node = 'anchor-a') can no longer extend it.
  clock.advance(31s);
  CHECK(joiner.run_election());
  elixir_election(schema, "anchor-a", clock.now());
  CHECK(peer_rows(schema, "Oban").at(0).node == "cpp-b");
  CHECK(peer_rows(schema, "Oban").at(0).expires_at == "2026-11-28 09:35:07.451436");
}

TEST_CASE("a failed election means not leader", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::ManualClock clock{start_time()};
  // Declared before the peer: its destructor resigns and reports the change.
  std::vector<bool> changes;
  Peer a{pool, config_for(schema, "cpp-a"), clock};
  a.on_change([&](bool leader) { changes.push_back(leader); });

  REQUIRE(a.run_election());
  {
    pqxx::work tx{schema.conn()};
    tx.exec("DROP TABLE " + db::qualified(schema.prefix(), "oban_peers"));
    tx.commit();
  }
  CHECK_FALSE(a.run_election());
  CHECK_FALSE(a.is_leader());
  CHECK(changes == std::vector<bool>{true, false});
  a.resign();  // not leader: nothing to do, and nothing thrown
}

TEST_CASE("a terminated idle connection is never handed to the election", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 1};
  oban::ManualClock clock{start_time()};
  Peer a{pool, config_for(schema, "cpp-a"), clock};

  REQUIRE(a.run_election());
  int backend = 0;
  {
    auto lease = pool.acquire();
    backend = lease->backendpid();
  }
  {
    pqxx::nontransaction tx{schema.conn()};
    tx.exec_params("SELECT pg_terminate_backend($1, 5000)", backend);  // returns once it is gone
  }
  // The pool sees the dead connection before lending it and opens a fresh one: the
  // election renews our own row.
  CHECK(a.run_election());
  CHECK(a.is_leader());
  CHECK(pool.stats().discarded == 1);
}

TEST_CASE("next_delay: 15 s minus up to 10% when leader, 30 s minus up to 10% otherwise", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::ManualClock clock{start_time()};
  Peer a{pool, config_for(schema, "cpp-a"), clock};

  auto range = [&] {
    auto low = a.next_delay(), high = low;
    for (int i = 0; i < 500; ++i) {
      const auto delay = a.next_delay();
      low = std::min(low, delay);
      high = std::max(high, delay);
    }
    return std::pair{low, high};
  };
  const auto follower = range();
  CHECK(follower.first >= 27000ms);
  CHECK(follower.second <= 30000ms);
  CHECK(follower.first < follower.second);  // jittered
  REQUIRE(a.run_election());
  const auto leader = range();
  CHECK(leader.first >= 13500ms);
  CHECK(leader.second <= 15000ms);
  CHECK(leader.first < leader.second);
}

TEST_CASE("start elects at once; stop resigns and is idempotent", "[peer]") {
  TestSchema schema{"peer"};
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::ManualClock clock{start_time()};
  // Declared before the peer: its destructor resigns and reports the change.
  std::atomic<int> changes{0};
  Peer a{pool, config_for(schema, "cpp-a"), clock};
  a.on_change([&](bool) { ++changes; });

  a.start();
  REQUIRE(cluster_test::wait_for([&] { return a.is_leader(); }));
  a.stop();
  CHECK_FALSE(a.is_leader());
  CHECK(peer_count(schema) == 0);
  CHECK(changes == 2);
  a.stop();
  CHECK(changes == 2);
  // A late {"down"} after stop() must not make the stopped node leader again.
  a.handle_leader_message(R"({"down":"oban-cpp"})");
  CHECK_FALSE(a.is_leader());
  CHECK(peer_count(schema) == 0);
}

TEST_CASE("peer config is validated", "[peer]") {
  TestSchema schema{"peer", 0};
  db::ConnectionPool pool{schema.dsn(), 1};
  oban::ManualClock clock{start_time()};
  CHECK_THROWS_AS(Peer(pool, config_for(schema, ""), clock), std::invalid_argument);
  CHECK_THROWS_AS(Peer(pool, config_for(schema, "n", ""), clock), std::invalid_argument);
  PeerConfig defaults;
  CHECK(defaults.name == "oban-cpp");
  CHECK(defaults.interval == 30000ms);
  CHECK(defaults.leader_boost == 2);
}
