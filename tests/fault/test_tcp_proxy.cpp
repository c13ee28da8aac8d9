// The fault proxy itself, against the real server: each mode does what the scenarios rely on.
#include <catch2/catch.hpp>

#include "fault_server.hpp"
#include "fault_world.hpp"
#include "support/tcp_proxy.hpp"

using namespace std::chrono_literals;
using test_support::TcpProxy;

namespace {

bool contains_probe(std::string_view sql) { return sql.find("INSERT INTO fault_probe") != std::string_view::npos; }

// One server for every section (each section runs the test case again from the top).
fault::FaultServer& shared_server() {
  static fault::FaultServer server;
  static const bool created = [] {
    pqxx::connection admin{server.admin_dsn()};
    pqxx::nontransaction tx{admin};
    tx.exec("CREATE TABLE fault_probe (n int)");
    tx.exec(std::string{"GRANT SELECT, INSERT ON fault_probe TO "} + fault::kRole);
    return true;
  }();
  (void)created;
  return server;
}

long probe_rows(fault::FaultServer& server) {
  pqxx::connection admin{server.admin_dsn()};
  pqxx::nontransaction tx{admin};
  return tx.exec("SELECT count(*) FROM fault_probe")[0][0].as<long>();
}

}  // namespace

TEST_CASE("the proxy forwards, drops and goes silent on demand", "[proxy]") {
  fault::FaultServer& server = shared_server();
  {
    pqxx::connection admin{server.admin_dsn()};
    pqxx::nontransaction tx{admin};
    tx.exec("TRUNCATE fault_probe");
  }
  TcpProxy proxy{"127.0.0.1", server.port()};
  const auto dsn = server.dsn_for_port(proxy.port());

  SECTION("pass-through with password authentication") {
    pqxx::connection conn{dsn};
    pqxx::nontransaction tx{conn};
    CHECK(tx.exec("SELECT current_user")[0][0].as<std::string>() == fault::kRole);
    CHECK(proxy.connections_accepted() == 1);
    CHECK(proxy.connections_open() == 1);
  }

  SECTION("drop_all closes open connections; new ones work") {
    pqxx::connection conn{dsn};
    proxy.drop_all();
    // libpq notices at the next statement (pqxx 6.4 may notice, and fail to reactivate,
    // as soon as a transaction starts).
    CHECK_THROWS([&] {
      pqxx::nontransaction tx{conn};
      tx.exec("SELECT 1");
    }());
    CHECK(proxy.connections_open() == 0);
    pqxx::connection again{dsn};
    pqxx::nontransaction tx2{again};
    CHECK(tx2.exec("SELECT 1")[0][0].as<int>() == 1);
  }

  SECTION("drop after COMMIT: the write lands, the client sees a lost connection") {
    proxy.drop_after_commit(contains_probe, 1);
    {
      pqxx::connection conn{dsn};
      pqxx::work tx{conn};
      tx.exec("INSERT INTO fault_probe VALUES (1)");
      CHECK_THROWS_AS(tx.commit(), pqxx::in_doubt_error);
    }
    CHECK(proxy.drops_fired() == 1);
    CHECK(probe_rows(server) == 1);
    // Fired once only: the next commit goes through.
    pqxx::connection conn{dsn};
    pqxx::work tx{conn};
    tx.exec("INSERT INTO fault_probe VALUES (2)");
    tx.commit();
    CHECK(proxy.drops_fired() == 1);
    CHECK(probe_rows(server) == 2);
  }

  SECTION("drop after an autocommit statement, extended protocol (Parse/Bind/Execute)") {
    proxy.drop_after_commit(contains_probe, 1);
    pqxx::connection conn{dsn};
    conn.prepare("probe", "INSERT INTO fault_probe VALUES ($1)");
    pqxx::nontransaction tx{conn};
    CHECK_THROWS_AS(tx.exec_prepared("probe", 7), pqxx::broken_connection);
    CHECK(proxy.drops_fired() == 1);
    CHECK(probe_rows(server) == 1);
  }

  SECTION("a ROLLBACK does not fire the rule") {
    proxy.drop_after_commit(contains_probe, 1);
    pqxx::connection conn{dsn};
    {
      pqxx::work tx{conn};
      tx.exec("INSERT INTO fault_probe VALUES (1)");
      tx.abort();
    }
    pqxx::nontransaction tx{conn};
    CHECK(tx.exec("SELECT 1")[0][0].as<int>() == 1);
    CHECK(proxy.drops_fired() == 0);
  }

  SECTION("silence_listeners: the LISTEN connection hears nothing more, others go on") {
    pqxx::connection listener{dsn};
    struct Receiver : pqxx::notification_receiver {
      using pqxx::notification_receiver::notification_receiver;
      void operator()(const std::string&, int) override { ++received; }
      int received = 0;
    } receiver{listener, "fault_probe_channel"};
    pqxx::connection other{dsn};
    auto notify = [&] {
      pqxx::connection admin{server.admin_dsn()};
      pqxx::nontransaction tx{admin};
      tx.exec("NOTIFY fault_probe_channel");
    };
    notify();
    listener.await_notification(2, 0);
    REQUIRE(receiver.received == 1);
    CHECK(proxy.listener_connections() == 1);

    proxy.silence_listeners();
    notify();
    const auto started = std::chrono::steady_clock::now();
    listener.await_notification(1, 0);
    CHECK(receiver.received == 1);
    CHECK(std::chrono::steady_clock::now() - started >= 900ms);  // waited: no FIN, no RST
    CHECK(listener.is_open());
    pqxx::nontransaction tx{other};
    CHECK(tx.exec("SELECT 1")[0][0].as<int>() == 1);
    // New connections are not silenced, LISTEN or not.
    pqxx::connection fresh{dsn};
    pqxx::nontransaction tx2{fresh};
    CHECK(tx2.exec("SELECT 1")[0][0].as<int>() == 1);
    proxy.drop_all();  // let the silenced listener go
  }

  SECTION("silence_all: a connect hangs until libpq's own timeout; pass_through lets new ones in") {
    proxy.silence_all();
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS(pqxx::connection{dsn + "?connect_timeout=2"});
    const auto waited = std::chrono::steady_clock::now() - started;
    CHECK(waited >= 1500ms);
    proxy.pass_through();
    pqxx::connection conn{dsn};
    pqxx::nontransaction tx{conn};
    CHECK(tx.exec("SELECT 1")[0][0].as<int>() == 1);
  }
}
