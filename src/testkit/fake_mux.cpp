#include "testkit/fake_mux.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace testkit {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr int kServerThreads = 2;
constexpr std::chrono::milliseconds kHoldPoll{1};
constexpr std::chrono::seconds kLongestHold{60};

std::string_view to_std(beast::string_view text) { return {text.data(), text.size()}; }

constexpr std::string_view kAssetsPath = "/video/v1/assets/";

struct Answer {
  int status = 200;
  std::string body;                        // JSON
  std::optional<int> retry_after_seconds;  // sent as Retry-After when set
  std::chrono::milliseconds delay{0};      // wait this long before answering
  std::string held_id;                     // then, when not empty, wait until this id is released
};

// Written out rather than borrowed from OpenSSL so oban_testkit needs no crypto library.
std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = bytes.size() - i;
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (left > 1) group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (left > 2) group |= static_cast<unsigned char>(bytes[i + 2]);
    encoded += kAlphabet[(group >> 18) & 0x3F];
    encoded += kAlphabet[(group >> 12) & 0x3F];
    encoded += left > 1 ? kAlphabet[(group >> 6) & 0x3F] : '=';
    encoded += left > 2 ? kAlphabet[group & 0x3F] : '=';
  }
  return encoded;
}

std::string quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string quoted = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (byte < 0x20) {
      quoted += "\\u00";
      quoted += kHex[byte >> 4];
      quoted += kHex[byte & 0x0F];
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[i + 1]);
    const int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return decoded;
}

// Mux's error shape: {"error":{"type":"...","messages":["..."]}}.
Answer error_answer(int status, std::string_view type, std::string_view message) {
  Answer answer;
  answer.status = status;
  answer.body = "{\"error\":{\"type\":" + quote(type) + ",\"messages\":[" + quote(message) + "]}}";
  return answer;
}

std::string asset_body(const std::string& id, const std::string& status,
                       const std::vector<std::string>& playback_ids) {
  std::string ids;
  for (const auto& playback_id : playback_ids) {
    if (!ids.empty()) ids += ',';
    ids += "{\"id\":" + quote(playback_id) + ",\"policy\":\"public\"}";
  }
  // Fields beyond id/status/playback_ids make sure the client skips what it does not need.
  return "{\"data\":{\"id\":" + quote(id) + ",\"status\":" + quote(status) +
         ",\"playback_ids\":[" + ids + "],\"mp4_support\":\"none\",\"max_stored_resolution\":\"HD\"," +
         "\"duration\":12.5,\"tracks\":[{\"type\":\"video\",\"max_width\":1920}],\"passthrough\":null," +
         "\"created_at\":\"1700000000\"}}";
}

// The scripted table and the request log, kept apart from the socket code.
// Thread-safe: every server thread calls answer().
class Script {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  Script(std::string token_id, std::string token_secret);

  void set_asset(const std::string& id, std::string status, std::vector<std::string> playback_ids);
  void set_not_found(const std::string& id);
  void set_rate_limited(const std::string& id, int retry_after_seconds, int times);
  void set_server_error(const std::string& id, int status, int times);
  void set_delay(const std::string& id, std::chrono::milliseconds delay);
  void set_raw_response(const std::string& id, int status, std::string body);
  void set_held(const std::string& id, bool held);
  bool held(const std::string& id) const;

  // Logs the request, then decides its answer.
  Answer answer(std::string_view method, std::string_view target, std::string_view authorization);

  int request_count() const;
  int request_count(const std::string& id) const;
  std::vector<TimePoint> request_times() const;
  std::vector<TimePoint> request_times(const std::string& id) const;

 private:
  struct AssetScript {
    std::optional<std::string> status;  // nullopt: 404
    std::vector<std::string> playback_ids;
    std::optional<std::pair<int, std::string>> raw;  // status, body: overrides the asset
    int rate_limited_left = 0;
    int retry_after_seconds = 0;
    int server_errors_left = 0;
    int server_error_status = 500;
    std::chrono::milliseconds delay{0};
    bool held = false;
  };

  Answer answer_asset(const std::string& id);

  const std::string expected_authorization_;
  mutable std::mutex mutex_;
  // Guarded by mutex_.
  std::map<std::string, AssetScript> assets_;
  std::vector<TimePoint> times_;
  std::map<std::string, std::vector<TimePoint>> times_by_id_;
};

Script::Script(std::string token_id, std::string token_secret)
    : expected_authorization_("Basic " + base64(token_id + ":" + token_secret)) {}

void Script::set_asset(const std::string& id, std::string status, std::vector<std::string> playback_ids) {
  std::lock_guard lock(mutex_);
  auto& script = assets_[id];
  script.status = std::move(status);
  script.playback_ids = std::move(playback_ids);
  script.raw.reset();
}

void Script::set_not_found(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto& script = assets_[id];
  script.status.reset();
  script.playback_ids.clear();
  script.raw.reset();
}

void Script::set_rate_limited(const std::string& id, int retry_after_seconds, int times) {
  std::lock_guard lock(mutex_);
  auto& script = assets_[id];
  script.retry_after_seconds = retry_after_seconds;
  script.rate_limited_left = times;
}

void Script::set_server_error(const std::string& id, int status, int times) {
  std::lock_guard lock(mutex_);
  auto& script = assets_[id];
  script.server_error_status = status;
  script.server_errors_left = times;
}

void Script::set_delay(const std::string& id, std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  assets_[id].delay = delay;
}

void Script::set_raw_response(const std::string& id, int status, std::string body) {
  std::lock_guard lock(mutex_);
  assets_[id].raw = std::make_pair(status, std::move(body));
}

void Script::set_held(const std::string& id, bool held) {
  std::lock_guard lock(mutex_);
  assets_[id].held = held;
}

bool Script::held(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto found = assets_.find(id);
  return found != assets_.end() && found->second.held;
}

Answer Script::answer(std::string_view method, std::string_view target,
                                    std::string_view authorization) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  times_.push_back(now);

  const auto query = target.find('?');
  const std::string_view path = target.substr(0, query);
  std::optional<std::string> id;
  if (path.substr(0, kAssetsPath.size()) == kAssetsPath) {
    const std::string_view segment = path.substr(kAssetsPath.size());
    if (!segment.empty() && segment.find('/') == std::string_view::npos) id = percent_decode(segment);
  }
  if (id) times_by_id_[*id].push_back(now);

  if (authorization != expected_authorization_) {
    return error_answer(401, "unauthorized", "Unauthorized request");
  }
  if (method != "GET") return error_answer(405, "method_not_allowed", "Method not allowed");
  if (!id) return error_answer(404, "not_found", "The requested resource was not found");
  return answer_asset(*id);
}

Answer Script::answer_asset(const std::string& id) {
  const auto found = assets_.find(id);
  if (found == assets_.end()) return error_answer(404, "not_found", "The requested asset was not found");
  auto& script = found->second;

  Answer answer;
  if (script.rate_limited_left > 0) {
    --script.rate_limited_left;
    answer = error_answer(429, "too_many_requests", "Too many requests");
    answer.retry_after_seconds = script.retry_after_seconds;
  } else if (script.server_errors_left > 0) {
    --script.server_errors_left;
    answer = error_answer(script.server_error_status, "internal_error", "Something went wrong");
  } else if (script.raw) {
    answer.status = script.raw->first;
    answer.body = script.raw->second;
  } else if (!script.status) {
    answer = error_answer(404, "not_found", "The requested asset was not found");
  } else {
    answer.body = asset_body(id, *script.status, script.playback_ids);
  }
  answer.delay = script.delay;
  if (script.held) answer.held_id = id;
  return answer;
}

int Script::request_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(times_.size());
}

int Script::request_count(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto found = times_by_id_.find(id);
  return found == times_by_id_.end() ? 0 : static_cast<int>(found->second.size());
}

std::vector<Script::TimePoint> Script::request_times() const {
  std::lock_guard lock(mutex_);
  return times_;
}

std::vector<Script::TimePoint> Script::request_times(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto found = times_by_id_.find(id);
  return found == times_by_id_.end() ? std::vector<TimePoint>{} : found->second;
}

// One connection: read a request, maybe wait, answer, repeat while keep-alive. Only one
// operation is ever pending, so the session needs no lock of its own.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Script& script)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), script_(script) {}

  void start() { read_request(); }

 private:
  void read_request() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) return close();
    const auto answer = script_.answer(to_std(request_.method_string()), to_std(request_.target()),
                                       to_std(request_[http::field::authorization]));
    response_ = {};
    response_.version(request_.version());
    response_.result(static_cast<unsigned>(answer.status));
    response_.set(http::field::server, "fake-mux");
    response_.set(http::field::content_type, "application/json");
    if (answer.retry_after_seconds) {
      response_.set(http::field::retry_after, std::to_string(*answer.retry_after_seconds));
    }
    response_.keep_alive(request_.keep_alive());
    response_.body() = answer.body;
    response_.prepare_payload();
    held_id_ = answer.held_id;
    if (answer.delay.count() <= 0) return wait_for_release(std::chrono::steady_clock::now() + kLongestHold);
    timer_.expires_after(answer.delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code) {
      self->wait_for_release(std::chrono::steady_clock::now() + kLongestHold);
    });
  }

  // A held answer checks every kHoldPoll whether its id was released.
  void wait_for_release(std::chrono::steady_clock::time_point give_up) {
    if (held_id_.empty() || !script_.held(held_id_) || std::chrono::steady_clock::now() >= give_up) {
      return write_response();
    }
    timer_.expires_after(kHoldPoll);
    timer_.async_wait([self = shared_from_this(), give_up](beast::error_code) { self->wait_for_release(give_up); });
  }

  void write_response() {
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->response_.keep_alive()) return self->close();
      self->read_request();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  std::string held_id_;  // the id whose release the answer waits for, or empty
  Script& script_;  // owned by the Server, which outlives every session
};

}  // namespace

class FakeMux::Server {
 public:
  Server(std::string token_id, std::string token_secret)
      : script_(std::move(token_id), std::move(token_secret)),
        acceptor_(asio::make_strand(ioc_), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept();
    for (int i = 0; i < kServerThreads; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }

  ~Server() {
    // Pending handlers (and the sessions they keep alive) die with ioc_, after the join.
    ioc_.stop();
    for (auto& thread : threads_) thread.join();
  }

  Script& script() { return script_; }
  int port() const { return port_; }

 private:
  void accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), script_)->start();
      accept();
    });
  }

  Script script_;
  asio::io_context ioc_{kServerThreads};
  tcp::acceptor acceptor_;  // used only from server threads after construction
  int port_ = 0;
  std::vector<std::thread> threads_;
};

FakeMux::FakeMux(std::string token_id, std::string token_secret)
    : server_(std::make_unique<Server>(std::move(token_id), std::move(token_secret))) {}

FakeMux::~FakeMux() = default;

int FakeMux::port() const { return server_->port(); }

std::string FakeMux::base_url() const { return "http://127.0.0.1:" + std::to_string(port()); }

void FakeMux::set_asset(const std::string& id, std::string status, std::vector<std::string> playback_ids) {
  server_->script().set_asset(id, std::move(status), std::move(playback_ids));
}

void FakeMux::set_not_found(const std::string& id) { server_->script().set_not_found(id); }

void FakeMux::set_rate_limited(const std::string& id, int retry_after_seconds, int times) {
  server_->script().set_rate_limited(id, retry_after_seconds, times);
}

void FakeMux::set_server_error(const std::string& id, int status, int times) {
  server_->script().set_server_error(id, status, times);
}

void FakeMux::set_delay(const std::string& id, std::chrono::milliseconds delay) {
  server_->script().set_delay(id, delay);
}

void FakeMux::set_raw_response(const std::string& id, int status, std::string body) {
  server_->script().set_raw_response(id, status, std::move(body));
}

void FakeMux::hold(const std::string& id) { server_->script().set_held(id, true); }

void FakeMux::release(const std::string& id) { server_->script().set_held(id, false); }

int FakeMux::request_count() const { return server_->script().request_count(); }

int FakeMux::request_count(const std::string& id) const { return server_->script().request_count(id); }

std::vector<FakeMux::TimePoint> FakeMux::request_times() const { return server_->script().request_times(); }

std::vector<FakeMux::TimePoint> FakeMux::request_times(const std::string& id) const {
  return server_->script().request_times(id);
}

}  // namespace testkit
