#pragma once
// A throwaway PostgreSQL 15 cluster in a short temp dir: initdb + pg_ctl, unix socket only.
// When run as root the server runs as an unprivileged user (initdb refuses root).
// Used by the tests, the benchmarks and the demo.
#include <string>

namespace testkit {

struct PrivatePostgresOptions {
  bool fsync = false;          // off for tests; the benchmarks turn it on
  int max_connections = 200;
  std::string extra_config;    // appended to postgresql.conf
};

// How pg_ctl stops the server: "fast" disconnects every session; "immediate" kills the
// server without a checkpoint, as a crash does.
enum class StopMode { fast, immediate };

class PrivatePostgres {
 public:
  explicit PrivatePostgres(PrivatePostgresOptions options = {});
  ~PrivatePostgres();  // stops the server and removes the directory
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  // libpq DSN for database "postgres" as superuser "postgres".
  const std::string& dsn() const { return dsn_; }
  const std::string& socket_dir() const { return dir_; }
  void stop() noexcept;
  // Restarts the server (for reconnect tests): stop fast, then start again.
  void restart();
  // An outage: the server stops and its data stays; start_server() brings it back.
  void stop_server(StopMode mode);
  void start_server();
  bool running() const { return running_; }

 private:
  std::string dir_;
  std::string run_as_;   // empty when not root
  std::string bin_dir_;
  std::string dsn_;
  bool running_ = false;
};

// The PostgreSQL server binaries (initdb, pg_ctl, pg_dump...): $OBAN_PG_BIN, else the
// newest /usr/lib/postgresql/*/bin.
std::string postgres_bin_dir();

}  // namespace testkit
