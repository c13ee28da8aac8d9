#include "oban/db/probe_connection.hpp"

#include <stdexcept>
#include <utility>

namespace oban::db {

ProbeConnection::ProbeConnection(std::string dsn, ConnectOptions connect, std::chrono::milliseconds statement_timeout)
    : dsn_(std::move(dsn)), connect_(connect), statement_timeout_(statement_timeout) {}

ProbeConnection::~ProbeConnection() = default;

void ProbeConnection::check() {
  try {
    if (!conn_ || !conn_->is_open()) {
      conn_ = connect(dsn_, connect_);
      pqxx::nontransaction setup{*conn_};
      setup.exec("SET statement_timeout = " + std::to_string(statement_timeout_.count()));
    }
    pqxx::nontransaction tx{*conn_};
    tx.exec("SELECT 1");
  } catch (const std::exception& e) {
    conn_.reset();
    throw std::runtime_error(redact_secrets(e.what(), dsn_));
  }
}

}  // namespace oban::db
