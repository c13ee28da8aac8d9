#pragma once
// Helpers for the visibility suites: the recorded Oban lines (fixtures), comparing a JSON
// value with a recorded one key by key and type by type, listening on a notification
// channel, capturing the default logger's lines, a test worker that behaves like the
// recording's Rec.Worker, an HTTP GET, and promtool.
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/value.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/notification.hpp"
#include "oban/json/json_value.hpp"
#include "oban/runtime/default_logger.hpp"
#include "oban/worker.hpp"

namespace observe_test {

using oban::Value;

// Every line of a fixture file (tests/fixtures/oban-2.23.1/<file>), parsed.
inline std::vector<Value> fixture_lines(const std::string& file) {
  std::ifstream in{std::string{OBAN_FIXTURES_DIR} + "/" + file};
  if (!in) throw std::runtime_error("missing fixture " + file);
  std::vector<Value> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(oban::json::parse(line));
  }
  return lines;
}

inline std::string text(const Value& value, const char* key) {
  const auto* member = value.find(key);
  return member && member->if_string() ? *member->if_string() : std::string{};
}

// A recorded notification's JSON: the listener's "decoded" for compressed ones, else the payload.
inline Value recorded_payload(const Value& line) {
  if (const auto* decoded = line.find("decoded")) return *decoded;
  return oban::json::parse(text(line, "payload"));
}

inline const char* kind_name(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::null: return "null";
    case Value::Kind::boolean: return "boolean";
    case Value::Kind::integer: return "integer";
    case Value::Kind::number: return "number";
    case Value::Kind::string: return "string";
    case Value::Kind::array: return "array";
    case Value::Kind::object: return "object";
    case Value::Kind::raw: return "raw";
  }
  return "?";
}

// Where `ours` differs from the recorded `theirs`: a key missing, a key they lack (unless
// in `extra_allowed`), or a different JSON type (for arrays also the type of the items,
// when both have some). Empty when the shapes agree.
inline std::vector<std::string> shape_differences(const Value& ours, const Value& theirs,
                                                  const std::set<std::string>& extra_allowed = {}) {
  std::vector<std::string> problems;
  const auto* our_object = ours.if_object();
  const auto* their_object = theirs.if_object();
  if (!our_object || !their_object) return {"not both JSON objects"};
  for (const auto& [key, value] : *their_object) {
    const auto found = our_object->find(key);
    if (found == our_object->end()) {
      problems.push_back("missing " + key);
      continue;
    }
    if (found->second.kind() != value.kind()) {
      problems.push_back(key + " is " + kind_name(found->second) + ", recorded " + kind_name(value));
      continue;
    }
    const auto* our_items = found->second.if_array();
    const auto* their_items = value.if_array();
    if (our_items && their_items && !our_items->empty() && !their_items->empty() &&
        our_items->front().kind() != their_items->front().kind()) {
      problems.push_back(key + " holds " + kind_name(our_items->front()) + ", recorded " +
                         kind_name(their_items->front()));
    }
  }
  for (const auto& [key, value] : *our_object) {
    if (!their_object->count(key) && !extra_allowed.count(key)) problems.push_back("extra " + key);
  }
  return problems;
}

inline std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : "; ") + item;
  return out;
}

// Polls until `condition` holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return condition();
}

// LISTENs on "<prefix>.oban_<name>" on a connection of its own and keeps every message.
class ChannelListener {
 public:
  struct Message {
    std::string raw;    // as on the wire
    Value decoded;      // the JSON inside
    std::chrono::steady_clock::time_point at;
  };

  ChannelListener(const std::string& dsn, const std::string& prefix, const std::string& name)
      : conn_(oban::db::connect(dsn)), receiver_(*conn_, oban::db::channel(prefix, name), *this) {
    pqxx::nontransaction{*conn_}.exec("SELECT 1");  // the LISTEN is in place once this returns
    thread_ = std::thread([this] {
      while (!stop_) conn_->await_notification(0, 50000);
    });
  }
  ~ChannelListener() {
    stop_ = true;
    thread_.join();
  }

  std::vector<Message> messages() const {
    std::lock_guard lock{mutex_};
    return messages_;
  }
  // Waits until some message satisfies `match` (checked against every message so far).
  bool wait_for(const std::function<bool(const Message&)>& match, std::chrono::milliseconds timeout) const {
    std::unique_lock lock{mutex_};
    return cv_.wait_for(lock, timeout, [&] {
      for (const auto& message : messages_) {
        if (match(message)) return true;
      }
      return false;
    });
  }

 private:
  class Receiver final : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection_base& conn, const std::string& channel, ChannelListener& owner)
        : pqxx::notification_receiver(conn, channel), owner_(owner) {}
    void operator()(const std::string& payload, int) override {
      Message message{payload, {}, std::chrono::steady_clock::now()};
      try {
        message.decoded = oban::json::parse(oban::db::decode_payload(payload));
      } catch (const std::exception&) {
        // kept undecoded (null): a test that looks at it fails on its own terms
      }
      std::lock_guard lock{owner_.mutex_};
      owner_.messages_.push_back(std::move(message));
      owner_.cv_.notify_all();
    }

   private:
    ChannelListener& owner_;
  };

  std::unique_ptr<pqxx::connection> conn_;
  Receiver receiver_;
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  std::vector<Message> messages_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The default logger writing JSON (or text) lines into memory.
class LogCapture {
 public:
  explicit LogCapture(oban::LogFormat format = oban::LogFormat::json,
                      oban::telemetry::Level level = oban::telemetry::Level::info)
      : logger_(options(format, level, *this)) {}

  std::vector<std::string> lines() const {
    std::lock_guard lock{mutex_};
    return lines_;
  }
  // Every line parsed as JSON (throws on a line that does not parse).
  std::vector<Value> parsed() const {
    std::vector<Value> out;
    for (const auto& line : lines()) out.push_back(oban::json::parse(line));
    return out;
  }
  // Parsed lines with "event" == `event` (and "node" == `node` when given).
  std::vector<Value> events(const std::string& event, const std::string& node = {}) const {
    std::vector<Value> out;
    for (auto& line : parsed()) {
      if (text(line, "event") == event && (node.empty() || text(line, "node") == node)) out.push_back(line);
    }
    return out;
  }

 private:
  static oban::LoggerOptions options(oban::LogFormat format, oban::telemetry::Level level, LogCapture& self) {
    oban::LoggerOptions options;
    options.format = format;
    options.level = level;
    options.sink = [&self](const std::string& line) {
      std::lock_guard lock{self.mutex_};
      self.lines_.push_back(line);
    };
    return options;
  }

  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
  oban::DefaultLogger logger_;
};

// Behaves like the recording's Rec.Worker: first sleeps args.sleep ms when given (stopping
// early on a stop request), then by args.action: ok, error ({:error, "boom"}), raise,
// snooze (60 s), cancel. args.timeout (ms) is its timeout/1.
class RecWorker final : public oban::Worker {
 public:
  explicit RecWorker(std::string queue) : queue_(std::move(queue)) {}
  std::string name() const override { return "Rec.Worker"; }
  oban::WorkerOptions options() const override {
    oban::WorkerOptions o;
    o.queue = queue_;
    o.max_attempts = 3;
    return o;
  }
  std::chrono::milliseconds timeout(const oban::Job& job) const override {
    const auto args = oban::json::parse(job.args);
    const auto* timeout = args.find("timeout");
    return std::chrono::milliseconds{timeout && timeout->if_integer() ? *timeout->if_integer() : 0};
  }
  oban::JobResult perform(oban::JobContext& context) override {
    if (const auto sleep = context.args.integer("sleep")) {
      running.fetch_add(1);
      std::mutex mutex;
      std::condition_variable_any cv;
      std::unique_lock lock{mutex};
      cv.wait_for(lock, context.stop, std::chrono::milliseconds{*sleep}, [] { return false; });
      running.fetch_sub(1);
    }
    const auto action = context.args.string("action").value_or("ok");
    if (action == "error") return oban::JobResult::error("boom");
    if (action == "raise") throw std::invalid_argument("kaboom");
    if (action == "snooze") return oban::JobResult::snooze(60);
    if (action == "cancel") return oban::JobResult::cancel("no longer needed");
    return oban::JobResult::ok();
  }
  std::atomic<int> running{0};

 private:
  std::string queue_;
};

struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
};

// GET http://127.0.0.1:<port><path>, bounded by `timeout`.
inline HttpAnswer http_get(unsigned short port, const std::string& path,
                           std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  stream.expires_after(timeout);
  stream.connect(boost::asio::ip::tcp::endpoint{boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::empty_body> request{http::verb::get, path, 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  beast::error_code ignored;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  return {static_cast<int>(response.result_int()), std::string{response[http::field::content_type]}, response.body()};
}

// promtool on `content` written to a temporary file: `check metrics` reads it on stdin,
// `check config` takes its path. Its exit status and what it printed. Fails the test
// (throws) when promtool is missing: scripts/install-deps --promtool provides it.
struct PromtoolResult {
  int status = -1;
  std::string output;
};
inline PromtoolResult run_promtool(const std::string& check, const std::string& content) {
  const char* configured = std::getenv("OBAN_PROMTOOL");
  const std::string promtool = configured && *configured ? configured : "promtool";
  if (std::system(("command -v " + promtool + " >/dev/null 2>&1").c_str()) != 0) {
    throw std::runtime_error("promtool not found (set OBAN_PROMTOOL or run scripts/install-deps --promtool)");
  }
  const std::string file = "/tmp/oban-promtool-" + std::to_string(getpid()) + ".txt";
  std::ofstream{file} << content;
  const std::string command = check == "metrics" ? promtool + " check metrics < " + file
                                                 : promtool + " check " + check + " " + file;
  PromtoolResult result;
  if (FILE* pipe = popen((command + " 2>&1").c_str(), "r")) {
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.output.append(buffer, n);
    const int status = pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::remove(file.c_str());
  return result;
}
inline PromtoolResult promtool_check_metrics(const std::string& exposition) { return run_promtool("metrics", exposition); }

}  // namespace observe_test
