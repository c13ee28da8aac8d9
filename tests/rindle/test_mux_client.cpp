// MuxClient against FakeMux on loopback, plus the pure pieces: status mapping,
// Retry-After parsing and the token bucket (on a fake clock).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>

#include "rindle/mux_client.hpp"
#include "rindle/retry_after.hpp"
#include "rindle/token_bucket.hpp"
#include "testkit/fake_mux.hpp"

using rindle::MuxAssetResponse;
using rindle::MuxClient;
using rindle::MuxClientConfig;
using Kind = MuxAssetResponse::Kind;
using namespace std::chrono_literals;

namespace {

const std::string kTokenId = "tok-id-7f3c9a1e";
const std::string kTokenSecret = "s3cr3t-Zq81-do-not-log";
// base64("tok-id-7f3c9a1e:s3cr3t-Zq81-do-not-log")
const std::string kBasicCredentials = "dG9rLWlkLTdmM2M5YTFlOnMzY3IzdC1acTgxLWRvLW5vdC1sb2c=";

MuxClientConfig config_for(const testkit::FakeMux& mux) {
  MuxClientConfig config;
  config.base_url = mux.base_url();
  config.token_id = kTokenId;
  config.token_secret = kTokenSecret;
  config.connect_timeout = 2000ms;
  config.read_timeout = 2000ms;
  return config;
}

void require_no_credentials(const MuxAssetResponse& response) {
  INFO("error: " << response.error);
  CHECK(response.error.find(kTokenSecret) == std::string::npos);
  CHECK(response.error.find(kTokenId) == std::string::npos);
  CHECK(response.error.find(kBasicCredentials) == std::string::npos);
}

// A port where nothing listens: a fake that has just stopped.
int closed_port() {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  return mux.port();
}

std::chrono::milliseconds elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

TEST_CASE("get_asset: 200 gives ok with status and playback ids", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_asset("asset-ready-1", "ready", {"p1", "p2"});
  mux.set_asset("asset-prep-1", "preparing", {});
  MuxClient client(config_for(mux));

  const auto ready = client.get_asset("asset-ready-1");
  CHECK(ready.kind == Kind::ok);
  CHECK(ready.http_status == 200);
  CHECK(ready.status == "ready");
  CHECK(ready.playback_ids == std::vector<std::string>{"p1", "p2"});
  CHECK_FALSE(ready.retry_after.has_value());
  CHECK(ready.error.empty());

  const auto preparing = client.get_asset("asset-prep-1");
  CHECK(preparing.kind == Kind::ok);
  CHECK(preparing.status == "preparing");
  CHECK(preparing.playback_ids.empty());

  CHECK(mux.request_count("asset-ready-1") == 1);
  CHECK(mux.request_count("asset-prep-1") == 1);
  CHECK(mux.request_count() == 2);
}

TEST_CASE("get_asset: the id is one percent-encoded path segment", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_asset("a b/c?d#e%", "errored", {"x"});
  auto config = config_for(mux);
  config.base_url += "/";  // a trailing slash must not double up
  MuxClient client(config);

  const auto response = client.get_asset("a b/c?d#e%");
  CHECK(response.kind == Kind::ok);
  CHECK(response.status == "errored");
  CHECK(response.playback_ids == std::vector<std::string>{"x"});
  CHECK(mux.request_count("a b/c?d#e%") == 1);
}

TEST_CASE("get_asset: 404 and unknown ids give not_found", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_not_found("asset-gone");
  MuxClient client(config_for(mux));

  for (const std::string id : {"asset-gone", "asset-never-scripted"}) {
    const auto response = client.get_asset(id);
    CHECK(response.kind == Kind::not_found);
    CHECK(response.http_status == 404);
    CHECK(response.error == "mux asset not found");
    CHECK(response.status.empty());
  }
}

TEST_CASE("get_asset: 429 gives rate_limited with Retry-After, then the asset", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_asset("asset-busy", "ready", {"p9"});
  mux.set_rate_limited("asset-busy", 7, 2);
  MuxClient client(config_for(mux));

  for (int i = 0; i < 2; ++i) {
    const auto limited = client.get_asset("asset-busy");
    CHECK(limited.kind == Kind::rate_limited);
    CHECK(limited.http_status == 429);
    REQUIRE(limited.retry_after.has_value());
    CHECK(*limited.retry_after == 7s);
    CHECK(limited.error == "mux rate limit exceeded (HTTP 429), retry after 7 s");
  }
  const auto after = client.get_asset("asset-busy");
  CHECK(after.kind == Kind::ok);
  CHECK(after.playback_ids == std::vector<std::string>{"p9"});
  CHECK(mux.request_count("asset-busy") == 3);

  mux.set_raw_response("asset-bare-429", 429, "");  // no Retry-After header at all
  const auto bare = client.get_asset("asset-bare-429");
  CHECK(bare.kind == Kind::rate_limited);
  CHECK_FALSE(bare.retry_after.has_value());
  CHECK(bare.error == "mux rate limit exceeded (HTTP 429)");
}

TEST_CASE("get_asset: 5xx gives http_error with Mux's message", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_asset("asset-flaky", "ready", {});
  mux.set_server_error("asset-flaky", 500, 1);
  mux.set_raw_response("asset-html", 503, "<html>\n<b>Service Unavailable</b></html>");
  MuxClient client(config_for(mux));

  const auto failed = client.get_asset("asset-flaky");
  CHECK(failed.kind == Kind::http_error);
  CHECK(failed.http_status == 500);
  CHECK(failed.error == "mux returned HTTP 500: internal_error - Something went wrong");
  CHECK(client.get_asset("asset-flaky").kind == Kind::ok);

  const auto html = client.get_asset("asset-html");
  CHECK(html.kind == Kind::http_error);
  CHECK(html.http_status == 503);
  CHECK(html.error == "mux returned HTTP 503: <html> <b>Service Unavailable</b></html>");
}

TEST_CASE("get_asset: a 200 with an unreadable body is an http_error", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_raw_response("asset-junk", 200, "this is not json");
  mux.set_raw_response("asset-no-status", 200, R"({"data":{"id":"asset-no-status"}})");
  mux.set_raw_response("asset-bad-ids", 200, R"({"data":{"status":"ready","playback_ids":"p1"}})");
  mux.set_raw_response("asset-truncated", 200, R"({"data":{"status":"ready","playback_ids":[{"id":"p1"})");
  MuxClient client(config_for(mux));

  const auto junk = client.get_asset("asset-junk");
  CHECK(junk.kind == Kind::http_error);
  CHECK(junk.http_status == 200);
  CHECK(junk.error.rfind("mux returned HTTP 200 with an unreadable asset body: ", 0) == 0);

  CHECK(client.get_asset("asset-no-status").error ==
        "mux returned HTTP 200 with an unreadable asset body: no \"data.status\" string");
  CHECK(client.get_asset("asset-bad-ids").error ==
        "mux returned HTTP 200 with an unreadable asset body: \"data.playback_ids\" is not an array");
  const auto truncated = client.get_asset("asset-truncated");
  CHECK(truncated.kind == Kind::http_error);
  CHECK(truncated.status.empty());
}

TEST_CASE("get_asset: bad credentials give a 401 http_error", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_asset("asset-ready-1", "ready", {"p1"});
  auto config = config_for(mux);
  config.token_secret = "wrong-secret-4471";
  MuxClient client(config);

  const auto response = client.get_asset("asset-ready-1");
  CHECK(response.kind == Kind::http_error);
  CHECK(response.http_status == 401);
  CHECK(response.error == "mux returned HTTP 401: unauthorized - Unauthorized request");
  CHECK(response.error.find("wrong-secret-4471") == std::string::npos);
  CHECK(mux.request_count("asset-ready-1") == 1);
}

TEST_CASE("get_asset: a slow answer past read_timeout is a transport_error", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_asset("asset-slow", "ready", {});
  mux.set_delay("asset-slow", 3000ms);
  auto config = config_for(mux);
  config.read_timeout = 200ms;
  MuxClient client(config);

  const auto start = std::chrono::steady_clock::now();
  const auto response = client.get_asset("asset-slow");
  const auto took = elapsed_since(start);
  CHECK(response.kind == Kind::transport_error);
  CHECK(response.http_status == 0);
  CHECK(response.error == "mux request failed: reading the response timed out after 200 ms");
  CHECK(took >= 190ms);
  CHECK(took < 1500ms);
}

TEST_CASE("get_asset: connection refused is a transport_error", "[mux]") {
  const int port = closed_port();
  MuxClientConfig config;
  config.base_url = "http://127.0.0.1:" + std::to_string(port);
  config.token_id = kTokenId;
  config.token_secret = kTokenSecret;
  MuxClient client(config);

  const auto response = client.get_asset("asset-ready-1");
  CHECK(response.kind == Kind::transport_error);
  CHECK(response.http_status == 0);
  CHECK(response.error ==
        "mux request failed: connecting to 127.0.0.1:" + std::to_string(port) + " failed: Connection refused");
}

TEST_CASE("get_asset: a connect that hangs past connect_timeout is a transport_error", "[mux]") {
  // A listener with backlog 0 and one unaccepted connection: Linux drops further SYNs.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 0) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const int filler = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(::connect(filler, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  std::this_thread::sleep_for(50ms);

  MuxClientConfig config;
  config.base_url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  config.token_id = kTokenId;
  config.token_secret = kTokenSecret;
  config.connect_timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  const auto response = MuxClient(config).get_asset("asset-ready-1");
  const auto took = elapsed_since(start);
  ::close(filler);
  ::close(listener);

  CHECK(response.kind == Kind::transport_error);
  CHECK(response.error == "mux request failed: connecting to 127.0.0.1:" +
                              std::to_string(ntohs(address.sin_port)) + " timed out after 300 ms");
  CHECK(took >= 290ms);
  CHECK(took < 1000ms);
}

TEST_CASE("get_asset: https to a plain-HTTP server fails the TLS handshake", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  auto config = config_for(mux);
  config.base_url = "https://127.0.0.1:" + std::to_string(mux.port());
  const auto response = MuxClient(config).get_asset("asset-ready-1");
  CHECK(response.kind == Kind::transport_error);
  CHECK(response.error.rfind("mux request failed: TLS handshake with 127.0.0.1 failed: ", 0) == 0);
  CHECK(mux.request_count() == 0);
}

TEST_CASE("get_asset: bad configuration fails without a request", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_asset("asset-ready-1", "ready", {});

  auto no_secret = config_for(mux);
  no_secret.token_secret.clear();
  CHECK(MuxClient(no_secret).get_asset("asset-ready-1").error ==
        "mux request not sent: RINDLE_MUX_TOKEN_ID / RINDLE_MUX_TOKEN_SECRET are not set");

  const auto empty_id = MuxClient(config_for(mux)).get_asset("");
  CHECK(empty_id.kind == Kind::transport_error);
  CHECK(empty_id.error == "mux request not sent: empty asset id");

  auto userinfo = config_for(mux);
  userinfo.base_url = "https://user:" + kTokenSecret + "@api.mux.com";
  const auto bad_url = MuxClient(userinfo).get_asset("asset-ready-1");
  CHECK(bad_url.kind == Kind::transport_error);
  CHECK(bad_url.error == "mux request not sent: invalid Mux base URL: credentials belong in the token settings");

  auto ftp = config_for(mux);
  ftp.base_url = "ftp://api.mux.com";
  CHECK(MuxClient(ftp).get_asset("asset-ready-1").error ==
        "mux request not sent: invalid Mux base URL: scheme must be http:// or https://");

  CHECK(mux.request_count() == 0);
}

TEST_CASE("get_asset: credentials never appear in error text", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_asset("asset-ready-1", "ready", {"p1"});
  mux.set_not_found("asset-gone");
  mux.set_rate_limited("asset-busy", 3, 1);
  mux.set_server_error("asset-flaky", 502, 1);
  mux.set_delay("asset-slow", 1000ms);
  // A misbehaving server that echoes the credentials back.
  mux.set_raw_response("asset-echo", 500,
                       R"({"error":{"type":"echo","messages":["got )" + kTokenId + ":" + kTokenSecret + " as " +
                           kBasicCredentials + R"("]}})");
  mux.set_raw_response("asset-echo-200", 200, "not json " + kTokenSecret);
  auto config = config_for(mux);
  config.read_timeout = 100ms;
  MuxClient client(config);

  for (const std::string id : {"asset-ready-1", "asset-gone", "asset-busy", "asset-flaky", "asset-slow",
                               "asset-echo", "asset-echo-200"}) {
    INFO("id: " << id);
    require_no_credentials(client.get_asset(id));
  }
  CHECK(client.get_asset("asset-echo").error ==
        "mux returned HTTP 500: echo - got [redacted]:[redacted] as [redacted]");

  auto wrong = config;
  wrong.token_secret = "other-secret-0042";
  const auto unauthorized = MuxClient(wrong).get_asset("asset-ready-1");
  CHECK(unauthorized.http_status == 401);
  CHECK(unauthorized.error.find("other-secret-0042") == std::string::npos);

  auto refused = config;
  refused.base_url = "http://127.0.0.1:" + std::to_string(closed_port());
  require_no_credentials(MuxClient(refused).get_asset("asset-ready-1"));
}

TEST_CASE("FakeMux answers concurrent connections in parallel", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_asset("asset-slow", "ready", {"p1"});
  mux.set_delay("asset-slow", 400ms);
  const MuxClient client(config_for(mux));

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> oks{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (client.get_asset("asset-slow").kind == Kind::ok) ++oks;
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(oks.load() == 4);
  CHECK(mux.request_count("asset-slow") == 4);
  CHECK(elapsed_since(start) < 1200ms);  // four serial answers would take 1600 ms
}

TEST_CASE("MuxClientConfig::from_env reads the RINDLE_MUX_ variables", "[mux]") {
  ::setenv("RINDLE_MUX_BASE_URL", "http://127.0.0.1:9", 1);
  ::setenv("RINDLE_MUX_TOKEN_ID", "env-id", 1);
  ::setenv("RINDLE_MUX_TOKEN_SECRET", "env-secret", 1);
  const auto set = MuxClientConfig::from_env();
  CHECK(set.base_url == "http://127.0.0.1:9");
  CHECK(set.token_id == "env-id");
  CHECK(set.token_secret == "env-secret");
  CHECK(set.connect_timeout == 5000ms);
  CHECK(set.read_timeout == 15000ms);

  ::unsetenv("RINDLE_MUX_BASE_URL");
  ::unsetenv("RINDLE_MUX_TOKEN_ID");
  ::unsetenv("RINDLE_MUX_TOKEN_SECRET");
  const auto unset = MuxClientConfig::from_env();
  CHECK(unset.base_url == "https://api.mux.com");
  CHECK(unset.token_id.empty());
  CHECK(unset.token_secret.empty());
}

TEST_CASE("normalize_mux_status maps Mux statuses to Rindle states", "[mux]") {
  CHECK(rindle::normalize_mux_status("preparing") == std::optional<std::string>("processing"));
  CHECK(rindle::normalize_mux_status("ready") == std::optional<std::string>("ready"));
  CHECK(rindle::normalize_mux_status("errored") == std::optional<std::string>("errored"));
  CHECK(rindle::normalize_mux_status("deleted") == std::optional<std::string>("deleted"));
  CHECK_FALSE(rindle::normalize_mux_status("waiting").has_value());
  CHECK_FALSE(rindle::normalize_mux_status("READY").has_value());
  CHECK_FALSE(rindle::normalize_mux_status("").has_value());
}

TEST_CASE("parse_retry_after reads delta-seconds and IMF-fixdate", "[mux]") {
  // 1994-11-06T08:49:37Z, the RFC's example date.
  const auto date = std::chrono::system_clock::from_time_t(784111777);
  CHECK(rindle::parse_retry_after("120", date) == std::optional(120s));
  CHECK(rindle::parse_retry_after(" 5 ", date) == std::optional(5s));
  CHECK(rindle::parse_retry_after("0", date) == std::optional(0s));
  CHECK(rindle::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", date - 30s) == std::optional(30s));
  CHECK(rindle::parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", date + 30s) == std::optional(0s));
  CHECK_FALSE(rindle::parse_retry_after("", date).has_value());
  CHECK_FALSE(rindle::parse_retry_after("-1", date).has_value());
  CHECK_FALSE(rindle::parse_retry_after("1.5", date).has_value());
  CHECK_FALSE(rindle::parse_retry_after("soon", date).has_value());
  CHECK_FALSE(rindle::parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", date).has_value());
}

namespace {

// Time that moves only when the bucket sleeps or the test advances it.
struct FakeTime {
  rindle::TokenBucket::TimePoint now{std::chrono::hours(1)};
  std::vector<rindle::TokenBucket::Duration> sleeps;

  rindle::TokenBucket bucket(double rate, int burst) {
    return rindle::TokenBucket(
        rate, burst, [this] { return now; },
        [this](rindle::TokenBucket::Duration wait, std::stop_token) {
          sleeps.push_back(wait);
          now += wait;
        });
  }
};

}  // namespace

TEST_CASE("TokenBucket::acquire paces callers at the rate after a burst", "[mux]") {
  FakeTime time;
  auto bucket = time.bucket(5.0, 5);
  const auto start = time.now;
  std::vector<std::chrono::milliseconds> granted;
  for (int i = 0; i < 15; ++i) {
    bucket.acquire();
    granted.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(time.now - start));
  }
  const std::vector<std::chrono::milliseconds> expected{
      0ms, 0ms, 0ms, 0ms, 0ms, 200ms, 400ms, 600ms, 800ms, 1000ms, 1200ms, 1400ms, 1600ms, 1800ms, 2000ms};
  CHECK(granted == expected);
  CHECK(time.sleeps.size() == 10);
  CHECK(std::all_of(time.sleeps.begin(), time.sleeps.end(), [](auto wait) { return wait == 200ms; }));
}

TEST_CASE("TokenBucket::try_acquire refills at the rate, up to the burst", "[mux]") {
  FakeTime time;
  auto bucket = time.bucket(5.0, 5);
  for (int i = 0; i < 5; ++i) CHECK(bucket.try_acquire());
  CHECK_FALSE(bucket.try_acquire());
  time.now += 199ms;
  CHECK_FALSE(bucket.try_acquire());
  time.now += 1ms;
  CHECK(bucket.try_acquire());
  CHECK_FALSE(bucket.try_acquire());
  time.now += 10s;  // a long idle spell refills only up to the burst
  int taken = 0;
  while (bucket.try_acquire()) ++taken;
  CHECK(taken == 5);
  CHECK(time.sleeps.empty());
}

TEST_CASE("TokenBucket rejects nonsense settings", "[mux]") {
  CHECK_THROWS_AS(rindle::TokenBucket(0.0, 5), std::invalid_argument);
  CHECK_THROWS_AS(rindle::TokenBucket(-1.0, 5), std::invalid_argument);
  CHECK_THROWS_AS(rindle::TokenBucket(5.0, 0), std::invalid_argument);
  CHECK_THROWS_AS(rindle::TokenBucket(1e-12, 1), std::invalid_argument);
  const rindle::TokenBucket defaults;
  CHECK(defaults.rate_per_second() == 5.0);
  CHECK(defaults.burst() == 5);
}

TEST_CASE("TokenBucket keeps concurrent Mux calls under the rate", "[mux]") {
  testkit::FakeMux mux(kTokenId, kTokenSecret);
  mux.set_asset("asset-ready-1", "ready", {"p1"});
  const MuxClient client(config_for(mux));
  rindle::TokenBucket bucket(20.0, 1);  // one call per 50 ms, no burst

  std::vector<std::thread> threads;
  std::atomic<int> oks{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        bucket.acquire();
        if (client.get_asset("asset-ready-1").kind == Kind::ok) ++oks;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(oks.load() == 12);
  auto times = mux.request_times("asset-ready-1");
  REQUIRE(times.size() == 12);
  std::sort(times.begin(), times.end());
  // 12 calls at 20/s span at least 11 intervals of 50 ms (less a little network jitter).
  CHECK(times.back() - times.front() >= 520ms);
}
