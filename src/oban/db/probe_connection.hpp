#pragma once
// A connection of its own that says whether the database answers: `SELECT 1` under a
// statement timeout, opened with the engine's connect timeouts. The readiness probe uses
// it, so a probe never waits on (or starves) the node's pool.
#include <chrono>
#include <memory>
#include <string>

#include "oban/db/connection.hpp"

namespace oban::db {

class ProbeConnection {
 public:
  ProbeConnection(std::string dsn, ConnectOptions connect, std::chrono::milliseconds statement_timeout);
  ~ProbeConnection();
  ProbeConnection(const ProbeConnection&) = delete;
  ProbeConnection& operator=(const ProbeConnection&) = delete;

  // Connects when needed and runs the query. Throws when the database does not answer, with
  // a message that never carries the password; the connection is then dropped and the next
  // check opens a new one (a connection that failed once is not trusted again).
  void check();

 private:
  const std::string dsn_;
  const ConnectOptions connect_;
  const std::chrono::milliseconds statement_timeout_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace oban::db
