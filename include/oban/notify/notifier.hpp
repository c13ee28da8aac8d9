#pragma once
// Oban's Postgres notifier, the receiving side: one dedicated LISTEN connection for
// "<prefix>.oban_<channel>", payloads decoded as Oban encodes them, handlers called on the
// notifier thread. Reconnects with backoff and LISTENs again when the connection drops.
#include <functional>
#include <memory>
#include <string>

#include "oban/core/loop_health.hpp"

namespace oban::notify {

class Notifier {
 public:
  // The decoded JSON text of one message. Handlers must be quick and must not throw
  // (exceptions are caught and logged).
  using Handler = std::function<void(const std::string& json)>;
  // Called after every (re)connection, so listeners can resynchronise (e.g. fetch at once).
  using ReconnectHandler = std::function<void()>;

  Notifier(std::string dsn, std::string prefix);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Register before start(). `channel` is the short name: "insert", "signal", "leader".
  void listen(const std::string& channel, Handler handler);
  void on_reconnect(ReconnectHandler handler);

  void start();
  void stop() noexcept;  // idempotent
  bool connected() const;
  // The listening thread's heartbeat, for the node's liveness check.
  core::LoopHealth health() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oban::notify
