#pragma once
// One private PostgreSQL per scenario (the scenarios restart it, stop it, make it read-only),
// listening on 127.0.0.1 with scram-sha-256, and a login role whose password holds '@', '/'
// and ':'. Nodes connect over TCP with that password, as they would in production; the
// test's own setup and checks use the superuser over the unix socket.
#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "testkit/private_postgres.hpp"

namespace fault {

// The password every node logs in with; the secret scan looks for it everywhere.
constexpr const char* kPassword = "Qk7@vN/z:R2p!xW";
constexpr const char* kRole = "fault_user";

class FaultServer {
 public:
  FaultServer();

  testkit::PrivatePostgres& postgres() { return *postgres_; }
  int port() const { return postgres_->port(); }
  // Superuser over the unix socket.
  const std::string& admin_dsn() const { return postgres_->dsn(); }
  // postgresql://fault_user:<percent-encoded password>@127.0.0.1:<port>/postgres
  std::string dsn_for_port(int port) const;
  std::string direct_dsn() const { return dsn_for_port(port()); }

  // Terminates every session of the login role (the nodes'), not the test's own.
  int terminate_role_backends();

 private:
  std::unique_ptr<testkit::PrivatePostgres> postgres_;
};

}  // namespace fault
