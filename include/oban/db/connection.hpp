#pragma once
// Opening connections, and a small pool with RAII leases. Every wait here has a bound:
// connecting (libpq connect_timeout, TCP keepalives and tcp_user_timeout), waiting for a
// free connection (acquire_timeout) and each statement on a pooled connection
// (statement_timeout).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace oban::db {

struct ConnectOptions {
  std::chrono::seconds connect_timeout{10};           // libpq connect_timeout (libpq counts whole seconds, at least 2)
  std::chrono::milliseconds tcp_user_timeout{30000};  // sent data unacknowledged this long: the kernel drops the connection
  std::chrono::seconds keepalives_idle{30};           // TCP keepalive probes after this much silence...
  std::chrono::seconds keepalives_interval{10};       // ...this far apart...
  int keepalives_count = 3;                           // ...and the connection is dead after this many lost
};

// Thrown when no connection could be had: connecting failed, or the pool had none free in
// time. The message never carries the password.
class ConnectionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class PoolTimeout : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};

// Opens a connection (a libpq DSN or postgres:// URL), adding the timeouts of `options`
// unless the DSN sets them itself. Throws ConnectionError, whose message never carries the
// password (not even part of one that a URL could not hold: a raw '@' or '/').
std::unique_ptr<pqxx::connection> connect(const std::string& dsn, const ConnectOptions& options = {});

// The DSN with any password replaced by "***", for logs and error messages.
std::string redact_dsn(const std::string& dsn);

// `text` (an error message that may quote the DSN) with the DSN and its password removed.
std::string redact_secrets(std::string text, const std::string& dsn);

// What an error says about the database, for deciding what to do next.
enum class ErrorClass {
  connection,  // no usable connection (lost, refused, pool timeout): nothing was committed
  in_doubt,    // the connection was lost during COMMIT: it may or may not have committed
  transient,   // the database refused the statement for now, whatever its data (read-only, out of
               // space, a timeout, a deadlock, a serialization failure): the same statement may pass later
  statement,   // the database refused this statement's data (a constraint, a trigger's RAISE, bad input)
};
ErrorClass classify(const std::exception& error);

// Runs `statement`: one statement sent in autocommit. A connection lost while it runs leaves
// it in doubt, as a lost COMMIT does (it may have committed before the answer was lost), so
// such an error is rethrown as pqxx::in_doubt_error, which classify() calls in_doubt.
template <class Statement>
auto autocommit(Statement&& statement) -> decltype(statement()) {
  try {
    return statement();
  } catch (const pqxx::in_doubt_error&) {
    throw;
  } catch (const std::exception& error) {
    if (classify(error) != ErrorClass::connection) throw;
    throw pqxx::in_doubt_error(error.what());
  }
}

// True for errors worth retrying after reconnecting: a broken connection, or a
// serialization failure / deadlock / lock timeout. Never for "in doubt" commits.
bool is_transient(const std::exception& error);

// True when `error` comes from the infrastructure rather than from a job's own work: no
// usable connection, an in-doubt commit, a read-only or exhausted database. A perform that
// fails this way did not fail on its own account (the executor does not count its attempt).
bool is_infrastructure_failure(const std::exception& error);

class ConnectionPool;

// A connection borrowed from the pool; returned when destroyed. If the connection broke
// while leased, or the lease ends while an exception unwinds through it, the pool drops
// the connection and opens a fresh one next time: a connection that saw an error is not
// trusted again.
class Lease {
 public:
  Lease(ConnectionPool& pool, std::unique_ptr<pqxx::connection> conn);
  Lease(Lease&&) noexcept;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  pqxx::connection& operator*() { return *conn_; }
  pqxx::connection* operator->() { return conn_.get(); }
  // Drop this connection instead of returning it (after an error caught inside the lease).
  void discard() noexcept { discarded_ = true; }

 private:
  ConnectionPool* pool_;
  std::unique_ptr<pqxx::connection> conn_;
  int exceptions_at_start_;
  bool discarded_ = false;
};

struct PoolOptions {
  ConnectOptions connect{};                            // for each connection the pool opens
  std::chrono::milliseconds acquire_timeout{5000};     // longest wait for a free connection (then PoolTimeout)
  std::chrono::milliseconds statement_timeout{15000};  // SET statement_timeout on each connection; 0 = none
  std::chrono::milliseconds validate_after_idle{30000};  // a connection idle longer is pinged before it is lent
};

// What the pool is doing, for metrics.
struct PoolStats {
  std::size_t size = 0;         // most connections it opens
  std::size_t open = 0;         // connections open now (or being opened)
  std::size_t in_use = 0;       // lent out now (or being opened for a lease)
  std::size_t idle = 0;         // open and free
  std::uint64_t waits = 0;      // acquires that found none free and waited
  std::uint64_t wait_timeouts = 0;  // acquires that gave up (PoolTimeout)
  std::uint64_t discarded = 0;  // connections closed because they broke, saw an error or failed a check
};

class ConnectionPool {
 public:
  // Connections are opened lazily, up to `size`.
  ConnectionPool(std::string dsn, std::size_t size, PoolOptions options = {});
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A live connection: an idle one that passes its check (nothing unread on its socket,
  // which is how a terminated backend shows; a ping after a long idle), else a new one.
  // Waits at most acquire_timeout for one to be free (then throws PoolTimeout); throws
  // ConnectionError when a new connection cannot be opened.
  Lease acquire();
  const std::string& dsn() const { return dsn_; }
  const PoolOptions& options() const { return options_; }
  PoolStats stats() const;

 private:
  friend class Lease;
  struct Idle {
    std::unique_ptr<pqxx::connection> conn;
    std::chrono::steady_clock::time_point since;
  };
  void release(std::unique_ptr<pqxx::connection> conn, bool trusted);
  bool usable(Idle& idle) const;
  std::unique_ptr<pqxx::connection> open();

  const std::string dsn_;
  const std::size_t size_;
  const PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Idle> idle_;    // guarded by mutex_; most recently returned last
  std::size_t open_ = 0;      // guarded by mutex_
  std::uint64_t waits_ = 0;   // guarded by mutex_
  std::uint64_t wait_timeouts_ = 0;
  std::uint64_t discarded_ = 0;
};

}  // namespace oban::db
