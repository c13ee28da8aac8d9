#pragma once
// A throwaway PostgreSQL 15 cluster in a short temp dir: initdb + pg_ctl, a unix socket and,
// when asked, 127.0.0.1 on a free port with password authentication (the fault suite's
// TCP path). When run as root the server runs as an unprivileged user (initdb refuses root).
// Used by the tests, the benchmarks and the demo.
#include <string>

namespace testkit {

struct PrivatePostgresOptions {
  bool fsync = false;          // off for tests; the benchmarks turn it on
  int max_connections = 200;
  std::string extra_config;    // appended to postgresql.conf
  // Also listen on 127.0.0.1 (a free port, see port()). TCP logins need a password
  // (scram-sha-256); the unix socket stays trust for the superuser.
  bool listen_tcp = false;
};

// How pg_ctl stops the server: "fast" rolls back and disconnects every session; "immediate"
// kills the server without a checkpoint, as a crash or a power cut does (crash recovery on
// the next start).
enum class StopMode { fast, immediate };

class PrivatePostgres {
 public:
  explicit PrivatePostgres(PrivatePostgresOptions options = {});
  ~PrivatePostgres();  // stops the server and removes the directory
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  // libpq DSN for database "postgres" as superuser "postgres", over the unix socket.
  const std::string& dsn() const { return dsn_; }
  const std::string& socket_dir() const { return dir_; }
  // The server's port: the unix socket's name and, with listen_tcp, the TCP port.
  int port() const { return port_; }
  // Stops the server for good and removes its directory.
  void stop() noexcept;
  // Restarts the server (for reconnect tests): stop, then start again.
  void restart(StopMode mode = StopMode::fast);
  // An outage: the server stops and its data stays; start_server() brings it back.
  void stop_server(StopMode mode);
  void start_server();
  bool running() const { return running_; }
  // The server's own log (for investigations).
  std::string server_log_path() const { return dir_ + "/server.log"; }

 private:
  std::string dir_;
  std::string run_as_;   // empty when not root
  std::string bin_dir_;
  std::string dsn_;
  int port_ = 5432;
  bool running_ = false;
};

// The PostgreSQL server binaries (initdb, pg_ctl, pg_dump...): $OBAN_PG_BIN, else the
// newest /usr/lib/postgresql/*/bin.
std::string postgres_bin_dir();

}  // namespace testkit
