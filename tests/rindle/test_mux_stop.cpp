// A stopped job stops waiting on Mux: the rate limiter and the HTTP exchange both end at
// once when its stop token is requested (a pkill, a timeout, shutdown), and the job then
// writes nothing. Plus the body limit: a huge answer is refused at its header, unread.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "integration/engine_test_helpers.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"
#include "rindle/mux_sync_provider_asset.hpp"
#include "support/rindle_fixture.hpp"

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

rindle::MuxClientConfig patient_client(const std::string& base_url) {
  rindle::MuxClientConfig config;
  config.base_url = base_url;
  config.token_id = "test-token-id";
  config.token_secret = "test-token-secret";
  config.read_timeout = 10s;  // far longer than any test waits: only a stop can end it early
  return config;
}

// Answers one request with a header declaring `declared` bytes, sends a little of it, then
// says nothing more until destroyed.
class HugeAnswer {
 public:
  explicit HugeAnswer(std::uint64_t declared) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 4);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this, declared] {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const auto got = ::recv(client, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        request.append(buffer, static_cast<std::size_t>(got));
      }
      const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                               std::to_string(declared) + "\r\n\r\n" + std::string(1024, ' ');
      sent_ = static_cast<std::size_t>(::send(client, head.data(), head.size(), MSG_NOSIGNAL));
      while (!done_.load()) std::this_thread::sleep_for(10ms);
      ::close(client);
    });
  }
  ~HugeAnswer() {
    done_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> done_{false};
  std::atomic<std::size_t> sent_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("TokenBucket::acquire stops waiting when the job's stop token is requested", "[mux][stop]") {
  rindle::TokenBucket bucket{1.0, 1};  // one token a second
  CHECK(bucket.acquire());            // the burst
  std::stop_source stop;
  std::thread stopper{[&] {
    std::this_thread::sleep_for(100ms);
    stop.request_stop();
  }};
  const auto begin = SteadyClock::now();
  CHECK_FALSE(bucket.acquire(stop.get_token()));
  CHECK(SteadyClock::now() - begin < 600ms);
  stopper.join();
  CHECK_FALSE(bucket.acquire(stop.get_token()));  // already stopped: no wait at all
}

TEST_CASE("a Mux request is abandoned at once when the job's stop token is requested", "[mux][stop]") {
  testkit::FakeMux mux{"test-token-id", "test-token-secret"};
  mux.set_asset("slow-asset", "ready", {});
  mux.set_delay("slow-asset", 5000ms);
  const rindle::MuxClient client{patient_client(mux.base_url())};
  std::stop_source stop;
  std::thread stopper{[&] {
    while (mux.request_count("slow-asset") == 0) std::this_thread::sleep_for(5ms);
    stop.request_stop();
  }};
  const auto begin = SteadyClock::now();
  const auto response = client.get_asset("slow-asset", stop.get_token());
  const auto took = SteadyClock::now() - begin;
  stopper.join();
  CHECK(response.kind == rindle::MuxAssetResponse::Kind::transport_error);
  CHECK(response.error.find("the job was stopped") != std::string::npos);
  CHECK(took < 1s);
}

TEST_CASE("an answer that declares more than 8 MiB is refused at its header, unread", "[mux][limit]") {
  HugeAnswer server{50ull * 1024 * 1024};
  const rindle::MuxClient client{patient_client("http://127.0.0.1:" + std::to_string(server.port()))};
  const auto begin = SteadyClock::now();
  const auto response = client.get_asset("huge-asset");
  const auto took = SteadyClock::now() - begin;
  CHECK(response.kind == rindle::MuxAssetResponse::Kind::transport_error);
  CHECK(response.error == "mux request failed: the answer declares 52428800 bytes, over the 8 MiB limit: not read");
  CHECK(took < 2s);  // reading it would wait the 10 s read timeout for bytes that never come
}

TEST_CASE("a sync job cancelled while Mux is slow stops at once and writes nothing", "[rindle][sync][stop]") {
  test_support::RindleFixture f;
  f.add_provider_asset("slow-1", "processing", 60s);
  f.mux_server.set_asset("slow-1", "ready", {"play-1"});
  f.mux_server.set_delay("slow-1", 8000ms);
  const rindle::MuxClient patient{patient_client(f.mux_server.base_url())};
  rindle::RindleServices services{f.pool, f.client, patient, f.mux_rate, rindle::RindleConfig{}, f.schema.prefix(),
                                  oban::SystemClock::instance()};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<rindle::MuxSyncProviderAsset>(services));
  oban::NodeConfig config;
  config.dsn = f.schema.dsn();
  config.prefix = f.schema.prefix();
  config.node = "cpp-rindle-stop";
  config.queues = {{"rindle_provider", 2}};
  config.poll_interval = 50ms;
  oban::Node node{config, registry};
  node.start();
  REQUIRE(engine_test::wait_for([&] { return oban::internals(node).notifier()->connected(); }));
  engine_test::PlainJob job;
  job.args = R"({"provider_asset_id": "slow-1"})";
  const auto id = engine_test::insert_plain(f.schema, job, false);
  REQUIRE(engine_test::wait_for([&] { return f.mux_server.request_count("slow-1") == 1; }));
  // Oban.cancel_job/1 as Elixir runs it: the UPDATE, then the pkill signal.
  engine_test::exec_sql(f.schema, "UPDATE " + f.schema.jobs_table() +
                                      " SET state = 'cancelled', cancelled_at = timezone('UTC', now()) WHERE id = " +
                                      std::to_string(id) + " AND state NOT IN ('cancelled','completed','discarded')");
  const auto cancelled = SteadyClock::now();
  engine_test::send_notification(f.schema, "signal",
                                 "[\"{\\\"action\\\":\\\"pkill\\\",\\\"job_id\\\":" + std::to_string(id) + "}\"]");
  REQUIRE(engine_test::wait_for(
      [&] { return oban::internals(node).producer("rindle_provider")->performing() == 0; }, 3s));
  CHECK(SteadyClock::now() - cancelled < 2s);  // not the 8 s Mux takes
  node.stop();
  CHECK(engine_test::job_state(f.schema, id) == "cancelled");
  CHECK(engine_test::query_count(f.schema, "SELECT cardinality(errors) FROM " + f.schema.jobs_table() +
                                               " WHERE id = " + std::to_string(id)) == 1);
  const auto row = f.row("slow-1");
  CHECK(row.state == "processing");  // untouched
  CHECK(row.last_sync_error.empty());
}
