#include "oban/db/connection.hpp"

#include <regex>

namespace oban::db {

std::string redact_dsn(const std::string& dsn) {
  // postgres://user:secret@host/db  and  key=value ... password=secret ...
  static const std::regex url_password{R"(^([a-z]+://[^:/@]*:)[^@]*@)", std::regex::icase};
  static const std::regex keyword_password{R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+))", std::regex::icase};
  std::string redacted = std::regex_replace(dsn, url_password, "$1***@");
  return std::regex_replace(redacted, keyword_password, "$1***");
}

std::unique_ptr<pqxx::connection> connect(const std::string& dsn) {
  try {
    return std::make_unique<pqxx::connection>(dsn);
  } catch (const std::exception& e) {
    // libpq may echo parts of the conninfo; never let the password through.
    std::string message = e.what();
    if (auto pos = message.find(dsn); pos != std::string::npos) message.replace(pos, dsn.size(), redact_dsn(dsn));
    throw std::runtime_error("cannot connect to PostgreSQL at " + redact_dsn(dsn) + ": " + message);
  }
}

bool is_transient(const std::exception& error) {
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error)) return false;
  if (dynamic_cast<const pqxx::broken_connection*>(&error)) return true;
  if (dynamic_cast<const pqxx::serialization_failure*>(&error)) return true;
  if (dynamic_cast<const pqxx::deadlock_detected*>(&error)) return true;
  if (auto sql = dynamic_cast<const pqxx::sql_error*>(&error)) {
    const std::string& state = sql->sqlstate();
    // 08: connection exceptions; 57P01..57P03: admin shutdown, crash shutdown, cannot connect now.
    return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03" ||
           state == "40001" || state == "40P01" || state == "55P03";
  }
  return false;
}

Lease::Lease(ConnectionPool& pool, std::unique_ptr<pqxx::connection> conn)
    : pool_(&pool), conn_(std::move(conn)), exceptions_at_start_(std::uncaught_exceptions()) {}
Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_),
      conn_(std::move(other.conn_)),
      exceptions_at_start_(other.exceptions_at_start_),
      discarded_(other.discarded_) {}
Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_), !discarded_ && std::uncaught_exceptions() <= exceptions_at_start_);
}

ConnectionPool::ConnectionPool(std::string dsn, std::size_t size) : dsn_(std::move(dsn)), size_(size) {}
ConnectionPool::~ConnectionPool() = default;

Lease ConnectionPool::acquire() {
  std::unique_lock lock{mutex_};
  if (idle_.empty() && open_ >= size_) ++waits_;
  available_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease{*this, std::move(conn)};
  }
  ++open_;
  lock.unlock();
  try {
    return Lease{*this, connect(dsn_)};
  } catch (...) {
    lock.lock();
    --open_;
    available_.notify_one();
    throw;
  }
}

void ConnectionPool::release(std::unique_ptr<pqxx::connection> conn, bool trusted) {
  std::lock_guard lock{mutex_};
  if (trusted && conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // a broken connection is dropped; the next acquire opens a fresh one
    ++discarded_;
  }
  available_.notify_one();
}

PoolStats ConnectionPool::stats() const {
  std::lock_guard lock{mutex_};
  PoolStats stats;
  stats.size = size_;
  stats.open = open_;
  stats.idle = idle_.size();
  stats.in_use = open_ - idle_.size();
  stats.waits = waits_;
  stats.discarded = discarded_;
  return stats;
}

}  // namespace oban::db
