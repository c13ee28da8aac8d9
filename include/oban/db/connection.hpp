#pragma once
// Opening connections, and a small pool with RAII leases.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace oban::db {

// Opens a connection (a libpq DSN or postgres:// URL). Errors never carry the password:
// they are rethrown as std::runtime_error with the DSN redacted.
std::unique_ptr<pqxx::connection> connect(const std::string& dsn);

// The DSN with any password replaced by "***", for logs and error messages.
std::string redact_dsn(const std::string& dsn);

// True for errors worth retrying after reconnecting: a broken connection, or a
// serialization failure / deadlock. Never for "in doubt" commits.
bool is_transient(const std::exception& error);

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

// What the pool is doing, for metrics.
struct PoolStats {
  std::size_t size = 0;             // most connections it opens
  std::size_t open = 0;             // connections open now (or being opened)
  std::size_t in_use = 0;           // lent out now
  std::size_t idle = 0;             // open and free
  std::uint64_t waits = 0;          // acquires that found none free and waited
  std::uint64_t wait_timeouts = 0;  // acquires that gave up waiting
  std::uint64_t discarded = 0;      // connections closed because they broke or saw an error
};

class ConnectionPool {
 public:
  // Connections are opened lazily, up to `size`.
  ConnectionPool(std::string dsn, std::size_t size);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Blocks until a connection is free. Throws when a new connection cannot be opened.
  Lease acquire();
  const std::string& dsn() const { return dsn_; }
  PoolStats stats() const;

 private:
  friend class Lease;
  void release(std::unique_ptr<pqxx::connection> conn, bool trusted);

  const std::string dsn_;
  const std::size_t size_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;  // guarded by mutex_
  std::size_t open_ = 0;                                  // guarded by mutex_
  std::uint64_t waits_ = 0;                               // guarded by mutex_
  std::uint64_t discarded_ = 0;                           // guarded by mutex_
};

}  // namespace oban::db
