#pragma once
// Opening connections, and a small pool with RAII leases.
#include <condition_variable>
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

 private:
  friend class Lease;
  void release(std::unique_ptr<pqxx::connection> conn, bool trusted);

  const std::string dsn_;
  const std::size_t size_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;  // guarded by mutex_
  std::size_t open_ = 0;                                  // guarded by mutex_
};

}  // namespace oban::db
