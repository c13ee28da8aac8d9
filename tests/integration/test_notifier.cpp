// The notifier's LISTEN connection: channel names with quotes, liveness against a server that
// stops answering while the socket stays open (its backend SIGSTOPped: no FIN, no RST, the
// kernel still takes our bytes, as behind a NAT that dropped the flow), and a bounded connect.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

#include "engine_test_helpers.hpp"
#include "guest_test_helpers.hpp"
#include "oban/db/notification.hpp"
#include "oban/notify/notifier.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"
#include "support/test_database.hpp"

using namespace std::chrono_literals;
using engine_test::AnchorWorker;
using engine_test::wait_for;
using guest_test::Recorder;
using test_support::TestSchema;

namespace {

std::int64_t backend_pid_of(const oban::telemetry::Event& connect) {
  const auto* pid = connect.metadata.at("backend_pid").if_integer();
  REQUIRE(pid);
  return *pid;
}

// Resumes a stopped process when the test ends, however it ends.
struct Resume {
  pid_t pid;
  ~Resume() { ::kill(pid, SIGCONT); }
};

}  // namespace

TEST_CASE("a prefix with \" and ' in it LISTENs and receives", "[notifier]") {
  TestSchema schema{"no\"ti'fy"};
  REQUIRE(schema.prefix().find('"') != std::string::npos);
  oban::notify::Notifier notifier{schema.dsn(), schema.prefix()};
  std::mutex mutex;
  std::vector<std::string> received;
  notifier.listen("insert", [&](const std::string& json) {
    std::lock_guard lock{mutex};
    received.push_back(json);
  });
  Recorder recorder{{"notifier:"}};
  notifier.start();
  REQUIRE(wait_for([&] { return notifier.connected(); }, 5s));
  {
    pqxx::work tx{schema.conn()};
    oban::db::notify(tx, schema.prefix(), "insert", {R"({"queue":"quoted"})"});
    tx.commit();
  }
  CHECK(wait_for([&] {
    std::lock_guard lock{mutex};
    return received == std::vector<std::string>{R"({"queue":"quoted"})"};
  }, 5s));
  // And again after a reconnect (the LISTEN backend terminated).
  {
    pqxx::work tx{schema.conn()};
    tx.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'oban-cpp notifier' "
            "OR (query LIKE 'LISTEN%' AND pid <> pg_backend_pid())");
    tx.commit();
  }
  REQUIRE(wait_for([&] { return recorder.named("notifier:connect").size() == 2 && notifier.connected(); }, 10s));
  {
    pqxx::work tx{schema.conn()};
    oban::db::notify(tx, schema.prefix(), "insert", {R"({"queue":"after-reconnect"})"});
    tx.commit();
  }
  CHECK(wait_for([&] {
    std::lock_guard lock{mutex};
    return received.size() == 2 && received.back() == R"({"queue":"after-reconnect"})";
  }, 5s));
  // Registered after start: LISTENed at once, on the same connection.
  std::atomic<int> signals{0};
  notifier.listen("signal", [&](const std::string&) { ++signals; });
  CHECK(wait_for([&] {
    pqxx::work tx{schema.conn()};
    oban::db::notify(tx, schema.prefix(), "signal", {R"({"action":"pause","queue":"q"})"});
    tx.commit();
    return signals > 0;
  }, 5s));
  CHECK(recorder.named("notifier:disconnect").size() == 1);  // the terminated backend, nothing else
  CHECK(recorder.named("notifier:connect").size() == 2);
  notifier.stop();
  CHECK_FALSE(notifier.connected());
}

TEST_CASE("a LISTEN connection whose server stops answering is replaced within the ping bound, and signals work again",
          "[notifier]") {
  TestSchema schema{"deaf"};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<AnchorWorker>());
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = "cpp-deaf-1";
  config.queues = {{"rindle_provider", 1}};
  config.notifier.ping_interval = 300ms;
  config.notifier.ping_timeout = 700ms;
  config.notifier.first_backoff = 50ms;
  Recorder recorder{{"notifier:"}};
  oban::Node node{config, registry};
  node.start();
  REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }, 5s));
  REQUIRE(recorder.named("notifier:connect").size() == 1);
  const auto stopped_pid = static_cast<pid_t>(backend_pid_of(recorder.named("notifier:connect").front()));

  // The server side goes silent with its socket open. The test server's backends run on this
  // machine, as this user or (when the tests run as root) as `nobody`.
  REQUIRE(::kill(stopped_pid, SIGSTOP) == 0);
  const Resume resume{stopped_pid};
  const auto silent_since = std::chrono::steady_clock::now();
  REQUIRE(wait_for([&] { return recorder.named("notifier:connect").size() == 2; }, 10s));
  const auto replaced_after = std::chrono::steady_clock::now() - silent_since;
  // Noticed within ping_interval + ping_timeout (1 s), replaced after the first backoff;
  // 4 s leaves room for a loaded machine (without pings it is never replaced).
  CHECK(replaced_after < 4000ms);
  const auto disconnects = recorder.named("notifier:disconnect");
  REQUIRE(disconnects.size() == 1);
  CHECK_THAT(*disconnects.front().metadata.at("error").if_string(), Catch::Matchers::Contains("no answer to ping"));
  CHECK(backend_pid_of(recorder.named("notifier:connect").back()) != stopped_pid);
  CHECK(oban::internals(node).notifier()->connected());

  // A signal sent afterwards is obeyed.
  auto* producer = oban::internals(node).producer("rindle_provider");
  engine_test::send_notification(schema, "signal",
                                 R"(["{\"action\":\"pause\",\"ident\":\"any\",\"queue\":\"rindle_provider\"}"])");
  CHECK(wait_for([&] { return producer->paused(); }, 3s));
  const auto stopping = std::chrono::steady_clock::now();
  node.stop();
  CHECK(std::chrono::steady_clock::now() - stopping < 3s);
}

TEST_CASE("connecting has a bound: a server that never answers is given up on, and stop is prompt", "[notifier]") {
  // A listening socket nobody accepts on: the kernel completes the TCP handshake, libpq
  // sends its startup packet, and no answer ever comes.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 16) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const std::string dsn = "host=127.0.0.1 port=" + std::to_string(ntohs(address.sin_port)) +
                          " user=nobody password=hunter2-secret dbname=postgres sslmode=disable";

  oban::notify::NotifierOptions options;
  options.connect_timeout = 300ms;
  options.first_backoff = 50ms;
  options.max_backoff = 100ms;
  Recorder recorder{{"notifier:"}};
  oban::notify::Notifier notifier{dsn, "public", options};
  notifier.listen("insert", [](const std::string&) {});
  const auto started = std::chrono::steady_clock::now();
  notifier.start();
  REQUIRE(wait_for([&] { return recorder.named("notifier:disconnect").size() >= 2; }, 5s));
  // Two attempts of 300 ms each and a 50 ms backoff: about 0.65 s (without a bound, never).
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  const auto first = recorder.named("notifier:disconnect").front();
  const std::string error = *first.metadata.at("error").if_string();
  CHECK_THAT(error, Catch::Matchers::Contains("no connection within 300 ms"));
  CHECK_THAT(error, !Catch::Matchers::Contains("hunter2"));
  CHECK_FALSE(notifier.connected());
  const auto stopping = std::chrono::steady_clock::now();
  notifier.stop();
  CHECK(std::chrono::steady_clock::now() - stopping < 1s);
  ::close(listener);
}
