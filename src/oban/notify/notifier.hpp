#pragma once
// Oban's Postgres notifier, the receiving side: one dedicated LISTEN connection for
// "<prefix>.oban_<channel>", payloads decoded as Oban encodes them, handlers called on the
// notifier thread.
//
// Liveness: a connection that a NAT or load balancer dropped silently (no FIN, no RST) looks
// open forever, and the node would be deaf to pause, scale, pkill and leader messages. So the
// notifier pings (SELECT 1) every ping_interval; a ping, LISTEN or connect that gets no
// answer within its bound closes the connection and opens a new one, which LISTENs again
// and tells the on_reconnect handlers (the node fetches at once, for what it missed). A dead
// connection is therefore noticed within ping_interval + ping_timeout.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "oban/core/loop_health.hpp"
#include "oban/notify/notifier_options.hpp"

namespace oban::notify {

class Notifier {
 public:
  // The decoded JSON text of one message. Handlers must be quick and must not throw
  // (exceptions are caught and logged).
  using Handler = std::function<void(const std::string& json)>;
  // Called after every (re)connection, so listeners can resynchronise (e.g. fetch at once).
  using ReconnectHandler = std::function<void()>;

  // Throws std::invalid_argument for invalid options.
  Notifier(std::string dsn, std::string prefix, NotifierOptions options = {});
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // `channel` is the short name: "insert", "signal", "leader". Registered after start(),
  // the notifier LISTENs on it at once.
  void listen(const std::string& channel, Handler handler);
  void on_reconnect(ReconnectHandler handler);

  void start();
  void stop() noexcept;  // idempotent; prompt, also while connecting or waiting for a ping
  bool connected() const;
  // The listening thread's heartbeat, for the node's liveness check.
  core::LoopHealth health() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace oban::notify
