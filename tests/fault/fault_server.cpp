#include "fault_server.hpp"

#include "oban/db/identifiers.hpp"
#include "secret_scan.hpp"

namespace fault {

FaultServer::FaultServer() {
  testkit::PrivatePostgresOptions options;
  options.listen_tcp = true;
  options.max_connections = 100;
  // A commit the server acknowledged must survive `pg_ctl stop -m immediate` (a server
  // crash, not an OS crash, so fsync can stay off): with asynchronous commit a crash loses
  // the last acknowledged transactions, and the suite would blame the engine for it.
  options.extra_config = "synchronous_commit = on\n";
  postgres_ = std::make_unique<testkit::PrivatePostgres>(options);
  pqxx::connection admin{admin_dsn()};
  pqxx::nontransaction tx{admin};
  tx.exec("CREATE ROLE " + oban::db::quote_ident(kRole) + " LOGIN PASSWORD " + oban::db::quote_literal(kPassword));
}

std::string FaultServer::dsn_for_port(int port) const {
  return std::string{"postgresql://"} + kRole + ":" + percent_encode(kPassword) + "@127.0.0.1:" + std::to_string(port) +
         "/postgres";
}

int FaultServer::terminate_role_backends() {
  pqxx::connection admin{admin_dsn()};
  pqxx::nontransaction tx{admin};
  const auto rows = tx.exec_params(
      "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = $1", kRole);
  return rows[0][0].as<int>();
}

}  // namespace fault
