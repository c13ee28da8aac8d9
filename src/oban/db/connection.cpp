#include "oban/db/connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <string_view>

namespace oban::db {
namespace {

bool is_url(const std::string& dsn) {
  const auto scheme_end = dsn.find("://");
  return scheme_end != std::string::npos && scheme_end > 0 &&
         std::all_of(dsn.begin(), dsn.begin() + static_cast<std::ptrdiff_t>(scheme_end),
                     [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '.' || c == '-'; });
}

// Where a URL's password lies: from after "user:" to the last '@' before the query. libpq
// itself stops the user info at the first '@' or '/', so a password holding a raw one of
// those is cut there; taking the last '@' covers all of it for redaction.
struct UrlPassword {
  std::size_t begin = std::string::npos;
  std::size_t end = std::string::npos;
  bool found() const { return begin != std::string::npos; }
};

UrlPassword url_password(const std::string& dsn) {
  UrlPassword where;
  if (!is_url(dsn)) return where;
  const std::size_t authority = dsn.find("://") + 3;
  const std::size_t query = std::min(dsn.find('?', authority), dsn.size());
  const std::size_t at = dsn.rfind('@', query == 0 ? 0 : query - 1);
  if (at == std::string::npos || at < authority) return where;
  const std::size_t colon = dsn.find(':', authority);
  if (colon == std::string::npos || colon > at) return where;
  where.begin = colon + 1;
  where.end = at;
  return where;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// Every spelling of the password a message could carry: as written, percent-decoded, and
// the value of a password= keyword.
std::vector<std::string> passwords(const std::string& dsn) {
  std::vector<std::string> out;
  if (auto where = url_password(dsn); where.found() && where.end > where.begin) {
    const std::string raw = dsn.substr(where.begin, where.end - where.begin);
    out.push_back(raw);
    out.push_back(percent_decoded(raw));
  }
  static const std::regex keyword_password{R"(password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]+))", std::regex::icase};
  for (auto it = std::sregex_iterator(dsn.begin(), dsn.end(), keyword_password); it != std::sregex_iterator(); ++it) {
    std::string value = (*it)[1].str();
    if (value.size() >= 2 && value.front() == '\'') value = value.substr(1, value.size() - 2);
    out.push_back(value);
    out.push_back(percent_decoded(value));
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const std::string& p) { return p.empty(); }), out.end());
  return out;
}

void replace_all(std::string& text, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
}

bool mentions_keyword(const std::string& dsn, const std::string& keyword) {
  std::string lower = dsn;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find(keyword + "=") != std::string::npos;
}

// The DSN with the timeouts of `options` added where it does not set them itself. libpq
// ignores the TCP ones on a Unix socket.
std::string with_timeouts(const std::string& dsn, const ConnectOptions& options) {
  const std::pair<std::string, std::string> settings[] = {
      {"connect_timeout", std::to_string(std::max<long long>(options.connect_timeout.count(), 1))},
      {"keepalives", "1"},
      {"keepalives_idle", std::to_string(options.keepalives_idle.count())},
      {"keepalives_interval", std::to_string(options.keepalives_interval.count())},
      {"keepalives_count", std::to_string(options.keepalives_count)},
      {"tcp_user_timeout", std::to_string(options.tcp_user_timeout.count())},
  };
  std::string out = dsn;
  const bool url = is_url(dsn);
  for (const auto& [key, value] : settings) {
    if (mentions_keyword(dsn, key)) continue;
    if (url) {
      out += (out.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
    } else {
      out = key + "=" + value + (out.empty() ? "" : " " + out);
    }
  }
  return out;
}

const std::string* sqlstate_of(const std::exception& error) {
  if (auto sql = dynamic_cast<const pqxx::sql_error*>(&error)) return &sql->sqlstate();
  return nullptr;
}

}  // namespace

std::string redact_dsn(const std::string& dsn) {
  std::string redacted = dsn;
  if (auto where = url_password(dsn); where.found()) redacted.replace(where.begin, where.end - where.begin, "***");
  static const std::regex keyword_password{R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+))", std::regex::icase};
  return std::regex_replace(redacted, keyword_password, "$1***");
}

std::string redact_secrets(std::string text, const std::string& dsn) {
  if (!dsn.empty()) replace_all(text, dsn, redact_dsn(dsn));
  for (const auto& password : passwords(dsn)) replace_all(text, password, "***");
  return text;
}

std::unique_ptr<pqxx::connection> connect(const std::string& dsn, const ConnectOptions& options) {
  const std::string full = with_timeouts(dsn, options);
  try {
    return std::make_unique<pqxx::connection>(full);
  } catch (const std::exception& e) {
    const std::string where = "cannot connect to PostgreSQL at " + redact_dsn(dsn) + ": ";
    // libpq reads a URL's user info only up to the first '@' or '/': with a raw one in the
    // password, the rest of the password became the host, and libpq's message would quote it.
    if (auto password = url_password(dsn);
        password.found() && dsn.find_first_of("@/", password.begin) < password.end) {
      throw ConnectionError(where +
                            "the password in the URL contains a raw '@' or '/'; percent-encode it (%40, %2F)");
    }
    throw ConnectionError(where + redact_secrets(redact_secrets(e.what(), full), dsn));
  }
}

ErrorClass classify(const std::exception& error) {
  if (dynamic_cast<const pqxx::in_doubt_error*>(&error)) return ErrorClass::in_doubt;
  if (dynamic_cast<const pqxx::statement_completion_unknown*>(&error)) return ErrorClass::in_doubt;
  if (dynamic_cast<const ConnectionError*>(&error)) return ErrorClass::connection;
  if (dynamic_cast<const pqxx::broken_connection*>(&error)) return ErrorClass::connection;
  const std::string* state = sqlstate_of(error);
  if (!state) return ErrorClass::statement;
  // 08: connection exceptions; 57P01..57P03: admin shutdown, crash shutdown, cannot connect
  // now; 53300: too many connections.
  if (state->starts_with("08") || *state == "57P01" || *state == "57P02" || *state == "57P03" || *state == "53300") {
    return ErrorClass::connection;
  }
  // 25006: read-only transaction (a failover, a standby); 53: out of disk or memory; 58: I/O;
  // 40001/40P01: serialization failure, deadlock; 55P03: lock not available; 57014: a
  // statement timeout or cancel.
  if (*state == "25006" || state->starts_with("53") || state->starts_with("58") || *state == "40001" ||
      *state == "40P01" || *state == "55P03" || *state == "57014") {
    return ErrorClass::transient;
  }
  return ErrorClass::statement;
}

bool is_transient(const std::exception& error) {
  if (classify(error) == ErrorClass::connection) return true;
  const std::string* state = sqlstate_of(error);
  return dynamic_cast<const pqxx::serialization_failure*>(&error) ||
         dynamic_cast<const pqxx::deadlock_detected*>(&error) ||
         (state && (*state == "40001" || *state == "40P01" || *state == "55P03"));
}

bool is_infrastructure_failure(const std::exception& error) {
  switch (classify(error)) {
    case ErrorClass::connection:
    case ErrorClass::in_doubt:
      return true;
    case ErrorClass::transient: {
      // A read-only or exhausted database is the infrastructure; a deadlock or a timeout in
      // the job's own statements is the job's.
      const std::string& state = *sqlstate_of(error);
      return state == "25006" || state.starts_with("53") || state.starts_with("58");
    }
    case ErrorClass::statement:
      return false;
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

ConnectionPool::ConnectionPool(std::string dsn, std::size_t size, PoolOptions options)
    : dsn_(std::move(dsn)), size_(std::max<std::size_t>(size, 1)), options_(options) {}
ConnectionPool::~ConnectionPool() = default;

// Called without mutex_ held: may talk to the server.
bool ConnectionPool::usable(Idle& idle) const {
  if (!idle.conn->is_open()) return false;
  // An idle connection has nothing to read. A terminated backend (pg_terminate_backend, a
  // restart) leaves its FATAL message and EOF on the socket: readable means dead.
  pollfd fd{idle.conn->sock(), POLLIN, 0};
  if (fd.fd < 0 || ::poll(&fd, 1, 0) != 0) return false;
  if (std::chrono::steady_clock::now() - idle.since < options_.validate_after_idle) return true;
  // Idle long enough for a silent drop (a NAT, a failover without RST): ask.
  try {
    pqxx::nontransaction tx{*idle.conn};
    tx.exec("SELECT 1");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::unique_ptr<pqxx::connection> ConnectionPool::open() {
  auto conn = connect(dsn_, options_.connect);
  if (options_.statement_timeout.count() > 0) {
    try {
      // Kept across pqxx's reactivation of a broken connection, should one happen.
      conn->set_variable("statement_timeout", std::to_string(options_.statement_timeout.count()));
    } catch (const std::exception& e) {
      throw ConnectionError("cannot set statement_timeout on a new connection: " + redact_secrets(e.what(), dsn_));
    }
  }
  return conn;
}

Lease ConnectionPool::acquire() {
  std::unique_lock lock{mutex_};
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  for (;;) {
    if (idle_.empty() && open_ >= size_) {
      ++waits_;
      if (!available_.wait_until(lock, deadline, [&] { return !idle_.empty() || open_ < size_; })) {
        ++wait_timeouts_;
        throw PoolTimeout("no database connection free within " + std::to_string(options_.acquire_timeout.count()) +
                          " ms (all " + std::to_string(size_) + " in use)");
      }
    }
    if (idle_.empty()) break;  // room to open a new one
    Idle idle = std::move(idle_.back());
    idle_.pop_back();
    lock.unlock();
    if (usable(idle)) return Lease{*this, std::move(idle.conn)};
    idle.conn.reset();
    lock.lock();
    --open_;
    ++discarded_;
  }
  ++open_;
  lock.unlock();
  try {
    return Lease{*this, open()};
  } catch (...) {
    lock.lock();
    --open_;
    available_.notify_one();
    throw;
  }
}

void ConnectionPool::release(std::unique_ptr<pqxx::connection> conn, bool trusted) {
  const bool keep = trusted && conn->is_open();
  if (!keep) conn.reset();  // closed outside the lock
  std::lock_guard lock{mutex_};
  if (keep) {
    idle_.push_back({std::move(conn), std::chrono::steady_clock::now()});
  } else {
    --open_;  // the next acquire opens a fresh one
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
  stats.wait_timeouts = wait_timeouts_;
  stats.discarded = discarded_;
  return stats;
}

}  // namespace oban::db
