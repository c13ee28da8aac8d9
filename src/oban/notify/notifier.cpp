#include "oban/notify/notifier.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/telemetry.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/notification.hpp"

namespace oban::notify {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{5000};
constexpr long kPollMicros = 100000;  // how long one wait lasts, so stop() is prompt

}  // namespace

struct Notifier::Impl {
  std::string dsn;
  std::string prefix;

  std::mutex mutex;                                    // guards the members below
  std::condition_variable stop_cv;
  std::map<std::string, std::vector<Handler>> handlers;  // short channel -> handlers
  std::vector<ReconnectHandler> reconnect_handlers;
  bool channels_changed = false;
  bool stopping = false;

  std::atomic<bool> connected{false};
  // Heartbeat for liveness: "in step" except while sleeping between reconnects, beating on
  // every wait for notifications (kPollMicros apart) and every connection attempt.
  std::atomic<bool> looping{false};
  std::atomic<bool> in_step{false};
  std::atomic<std::chrono::steady_clock::time_point> last_beat{std::chrono::steady_clock::now()};
  std::thread thread;

  // pqxx calls this for each notification on a channel we listen to.
  class Receiver final : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection_base& conn, Impl& impl, std::string short_name)
        : pqxx::notification_receiver(conn, db::channel(impl.prefix, short_name)),
          impl_(impl),
          short_name_(std::move(short_name)) {}
    void operator()(const std::string& payload, int) override { impl_.dispatch(short_name_, payload); }

   private:
    Impl& impl_;
    std::string short_name_;
  };

  void dispatch(const std::string& short_name, const std::string& payload) {
    std::string json;
    try {
      json = db::decode_payload(payload);
    } catch (const std::exception& e) {
      telemetry::emit("notifier:ignored", telemetry::Level::warning,
                      {{"channel", short_name}, {"reason", "malformed"}, {"error", e.what()}});
      return;
    }
    std::vector<Handler> targets;
    {
      std::lock_guard lock{mutex};
      if (auto found = handlers.find(short_name); found != handlers.end()) targets = found->second;
    }
    for (auto& handler : targets) {
      try {
        handler(json);
      } catch (const std::exception& e) {
        telemetry::emit("notifier:handler:exception", telemetry::Level::error,
                        {{"channel", short_name}, {"error", e.what()}});
      } catch (...) {
        telemetry::emit("notifier:handler:exception", telemetry::Level::error,
                        {{"channel", short_name}, {"error", "unknown exception"}});
      }
    }
  }

  bool should_stop() {
    std::lock_guard lock{mutex};
    return stopping;
  }

  // Sleeps up to `delay`, returning early (true) when stopping.
  bool sleep_unless_stopped(std::chrono::milliseconds delay) {
    std::unique_lock lock{mutex};
    return stop_cv.wait_for(lock, delay, [&] { return stopping; });
  }

  // LISTENs on every registered channel not yet listened to on this connection.
  void subscribe(pqxx::connection& conn, std::set<std::string>& listening,
                 std::vector<std::unique_ptr<Receiver>>& receivers) {
    std::vector<std::string> wanted;
    {
      std::lock_guard lock{mutex};
      channels_changed = false;
      for (const auto& [name, list] : handlers) wanted.push_back(name);
    }
    for (const auto& name : wanted) {
      if (listening.insert(name).second) receivers.push_back(std::make_unique<Receiver>(conn, *this, name));
    }
  }

  void run() {
    auto backoff = kFirstBackoff;
    while (!should_stop()) {
      in_step = true;
      last_beat = std::chrono::steady_clock::now();
      std::unique_ptr<pqxx::connection> conn;
      std::vector<std::unique_ptr<Receiver>> receivers;
      std::set<std::string> listening;
      try {
        conn = db::connect(dsn);
        // pqxx would silently reconnect a broken connection; we want to know, to resync.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
        subscribe(*conn, listening, receivers);
        connected = true;
        backoff = kFirstBackoff;
        telemetry::emit("notifier:connect", telemetry::Level::info,
                        {{"prefix", prefix}, {"channels", listening.size()}});
        std::vector<ReconnectHandler> resync;
        {
          std::lock_guard lock{mutex};
          resync = reconnect_handlers;
        }
        for (auto& handler : resync) {
          try {
            handler();
          } catch (const std::exception& e) {
            telemetry::emit("notifier:handler:exception", telemetry::Level::error,
                            {{"channel", "reconnect"}, {"error", e.what()}});
          }
        }
        while (!should_stop()) {
          if (!conn->is_open()) throw pqxx::broken_connection{"notifier connection closed"};
          last_beat = std::chrono::steady_clock::now();
          conn->await_notification(0, kPollMicros);
          bool changed = false;
          {
            std::lock_guard lock{mutex};
            changed = channels_changed;
          }
          if (changed) subscribe(*conn, listening, receivers);
        }
      } catch (const std::exception& e) {
        connected = false;
        telemetry::emit("notifier:disconnect", telemetry::Level::warning,
                        {{"prefix", prefix}, {"retry_in_ms", backoff.count()}, {"error", db::redact_dsn(e.what())}});
      }
      connected = false;
      // Close first, so the receivers' destructors do not try to UNLISTEN on a dead socket.
      if (conn) conn->disconnect();
      receivers.clear();
      conn.reset();
      if (should_stop()) break;
      in_step = false;
      last_beat = std::chrono::steady_clock::now();
      if (sleep_unless_stopped(backoff)) break;
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }
};

Notifier::Notifier(std::string dsn, std::string prefix) : impl_(std::make_unique<Impl>()) {
  impl_->dsn = std::move(dsn);
  impl_->prefix = std::move(prefix);
}

Notifier::~Notifier() { stop(); }

void Notifier::listen(const std::string& channel, Handler handler) {
  std::lock_guard lock{impl_->mutex};
  impl_->handlers[channel].push_back(std::move(handler));
  impl_->channels_changed = true;  // a running notifier LISTENs on its next turn
}

void Notifier::on_reconnect(ReconnectHandler handler) {
  std::lock_guard lock{impl_->mutex};
  impl_->reconnect_handlers.push_back(std::move(handler));
}

void Notifier::start() {
  if (impl_->thread.joinable()) return;
  {
    std::lock_guard lock{impl_->mutex};
    impl_->stopping = false;
  }
  impl_->looping = true;
  impl_->thread = std::thread([impl = impl_.get()] {
    impl->run();
    impl->looping = false;
  });
}

void Notifier::stop() noexcept {
  {
    std::lock_guard lock{impl_->mutex};
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool Notifier::connected() const { return impl_->connected; }

core::LoopHealth Notifier::health() const {
  return {"notifier", impl_->looping.load(), impl_->in_step.load(), impl_->last_beat.load()};
}

}  // namespace oban::notify
