#pragma once
// The notifier's one PostgreSQL connection, driven through libpq without ever blocking
// unboundedly: connecting, each command and each wait for input poll() the socket with a
// deadline, and also watch an interrupt descriptor (an eventfd the notifier signals on
// stop() and listen()).
//
// Why libpq here and pqxx everywhere else: pqxx 6.4 has no asynchronous query API, so a
// pqxx ping could only be a blocking exec, which on a silently dropped connection never
// returns; and its LISTEN quotes the channel without doubling embedded quotes. This
// connection only ever runs LISTEN and a ping, so plain libpq stays small.
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

struct pg_conn;

namespace oban::db {

// The connection failed, timed out or was closed; the message says which (no password).
class ConnectionLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// stop() was asked for while waiting.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

class ListenConnection {
 public:
  using Clock = std::chrono::steady_clock;
  struct Notification {
    std::string channel;  // the full channel name, as NOTIFY gave it
    std::string payload;
  };

  // Connects within `timeout`. `interrupt_fd` wakes every wait; `stopping` then says
  // whether to give up (throw Interrupted) or carry on. Throws ConnectionLost.
  ListenConnection(const std::string& dsn, std::chrono::milliseconds timeout, int interrupt_fd,
                   std::function<bool()> stopping);
  ~ListenConnection();  // closes without waiting on the peer
  ListenConnection(const ListenConnection&) = delete;
  ListenConnection& operator=(const ListenConnection&) = delete;

  int backend_pid() const;

  // LISTEN on each channel (quoted as identifiers, so any prefix works), one round trip.
  void listen(const std::vector<std::string>& channels, std::chrono::milliseconds timeout);
  // SELECT 1, answered within `timeout` or ConnectionLost.
  void ping(std::chrono::milliseconds timeout);
  // Waits until data arrives, `until` passes, or the interrupt fires; reads what arrived
  // (notifications are kept for take_notifications). ConnectionLost when the server closed.
  void wait(Clock::time_point until);
  std::vector<Notification> take_notifications();

 private:
  enum class Woke { socket, interrupt, timeout };
  void finish_connecting(std::chrono::milliseconds timeout);
  Woke poll_socket(short events, Clock::time_point deadline);
  void run(const std::string& sql, std::chrono::milliseconds timeout, const char* what);
  void consume_input();
  [[noreturn]] void fail(const std::string& what) const;

  pg_conn* conn_ = nullptr;
  int interrupt_fd_;
  std::function<bool()> stopping_;
  std::vector<Notification> notifications_;
};

}  // namespace oban::db
