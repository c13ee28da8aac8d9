#include "oban/notify/notifier.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "oban/core/telemetry.hpp"
#include "oban/core/timer_loop.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/listen_connection.hpp"
#include "oban/db/notification.hpp"

namespace oban::notify {

// Runs on the one loop primitive. A TimerLoop waits on a condition variable and cannot watch
// a socket, so the socket wait happens inside a step: each step waits for input at most
// until the next ping is due, handles what came, and returns 0 to go round again; an
// eventfd ends the wait early on stop() or listen(). The loop's own waits are the backoff
// between connection attempts.
struct Notifier::Impl {
  Impl(std::string dsn_in, std::string prefix_in, NotifierOptions options_in)
      : dsn(std::move(dsn_in)), prefix(std::move(prefix_in)), options(std::move(options_in)) {}

  const std::string dsn;
  const std::string prefix;
  const NotifierOptions options;
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

  std::mutex mutex;                                      // guards handlers and reconnect_handlers
  std::map<std::string, std::vector<Handler>> handlers;  // short channel -> handlers
  std::vector<ReconnectHandler> reconnect_handlers;
  std::atomic<bool> stopping{false};
  std::atomic<bool> connected{false};

  // Loop thread only.
  std::optional<db::ListenConnection> conn;
  std::map<std::string, std::string> listening;  // full channel -> short name
  db::ListenConnection::Clock::time_point next_ping{};
  std::chrono::milliseconds backoff = options.first_backoff;

  core::TimerLoop loop{"notifier", [this] { return step(); }};

  void wake() noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_fd, &one, sizeof one);
  }

  std::string safe(std::string message) const {
    // libpq may echo parts of the conninfo; never let the password through.
    if (auto pos = message.find(dsn); pos != std::string::npos) message.replace(pos, dsn.size(), db::redact_dsn(dsn));
    return db::redact_dsn(message);
  }

  std::chrono::milliseconds step() {
    if (stopping) return std::chrono::hours{1};  // stop() is ending the loop
    try {
      if (!conn) {
        open();
        return std::chrono::milliseconds{0};
      }
      serve();
      return std::chrono::milliseconds{0};
    } catch (const db::Interrupted&) {
      close();
      return std::chrono::hours{1};
    } catch (const std::exception& error) {
      const auto retry_in = backoff;
      backoff = std::min(backoff * 2, options.max_backoff);
      telemetry::emit("notifier:disconnect", telemetry::Level::warning,
                      {{"prefix", prefix}, {"retry_in_ms", retry_in.count()}, {"error", safe(error.what())}});
      close();
      return retry_in;
    }
  }

  void open() {
    conn.emplace(dsn, options.connect_timeout, wake_fd, [this] { return stopping.load(); });
    subscribe();
    connected = true;
    backoff = options.first_backoff;
    next_ping = db::ListenConnection::Clock::now() + options.ping_interval;
    telemetry::emit("notifier:connect", telemetry::Level::info,
                    {{"prefix", prefix}, {"channels", listening.size()}, {"backend_pid", conn->backend_pid()}});
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
      } catch (...) {
        telemetry::emit("notifier:handler:exception", telemetry::Level::error,
                        {{"channel", "reconnect"}, {"error", "unknown exception"}});
      }
    }
  }

  void close() noexcept {
    connected = false;
    conn.reset();
    listening.clear();
  }

  // LISTENs on every registered channel not yet listened to on this connection.
  void subscribe() {
    std::vector<std::string> wanted;
    {
      std::lock_guard lock{mutex};
      for (const auto& [name, list] : handlers) {
        if (!listening.count(db::channel(prefix, name))) wanted.push_back(name);
      }
    }
    if (wanted.empty()) return;
    std::vector<std::string> channels;
    for (const auto& name : wanted) channels.push_back(db::channel(prefix, name));
    conn->listen(channels, options.ping_timeout);
    for (std::size_t i = 0; i < wanted.size(); ++i) listening[channels[i]] = wanted[i];
  }

  void serve() {
    subscribe();  // channels registered since the last turn
    if (db::ListenConnection::Clock::now() >= next_ping) {
      conn->ping(options.ping_timeout);
      next_ping = db::ListenConnection::Clock::now() + options.ping_interval;
    } else {
      conn->wait(next_ping);
    }
    for (auto& notification : conn->take_notifications()) {
      const auto found = listening.find(notification.channel);
      if (found != listening.end()) dispatch(found->second, notification.payload);
    }
  }

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
};

Notifier::Notifier(std::string dsn, std::string prefix, NotifierOptions options) {
  if (const auto problems = options.validate(); !problems.empty()) {
    std::string message = "invalid notifier options:";
    for (const auto& problem : problems) message += "\n  - " + problem;
    throw std::invalid_argument(message);
  }
  impl_ = std::make_unique<Impl>(std::move(dsn), std::move(prefix), std::move(options));
  if (impl_->wake_fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd for the notifier");
}

Notifier::~Notifier() {
  stop();
  ::close(impl_->wake_fd);
}

void Notifier::listen(const std::string& channel, Handler handler) {
  {
    std::lock_guard lock{impl_->mutex};
    impl_->handlers[channel].push_back(std::move(handler));
  }
  impl_->wake();  // a running notifier LISTENs on its next turn
}

void Notifier::on_reconnect(ReconnectHandler handler) {
  std::lock_guard lock{impl_->mutex};
  impl_->reconnect_handlers.push_back(std::move(handler));
}

void Notifier::start() {
  if (impl_->loop.running()) return;
  impl_->stopping = false;
  impl_->loop.start();
}

void Notifier::stop() noexcept {
  impl_->stopping = true;
  impl_->wake();
  impl_->loop.stop();
  impl_->close();
  // Leave the eventfd drained for a later start().
  std::uint64_t count = 0;
  [[maybe_unused]] const auto read_bytes = ::read(impl_->wake_fd, &count, sizeof count);
}

bool Notifier::connected() const { return impl_->connected; }

core::LoopHealth Notifier::health() const { return impl_->loop.health(); }

}  // namespace oban::notify
