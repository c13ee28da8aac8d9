#include "test_database.hpp"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <unistd.h>

#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/schema.hpp"
#include "testkit/private_postgres.hpp"
#include "rindle/rindle_schema.hpp"

namespace test_support {

const std::string& server_dsn() {
  static std::once_flag once;
  static std::unique_ptr<testkit::PrivatePostgres> server;
  static std::string dsn;
  std::call_once(once, [] {
    if (const char* env = std::getenv("OBAN_TEST_DSN"); env && *env) {
      dsn = env;
    } else {
      server = std::make_unique<testkit::PrivatePostgres>();
      dsn = server->dsn();
      // Stopped at exit by the static's destructor.
    }
  });
  return dsn;
}

TestSchema::TestSchema(const std::string& name_hint, int migrate_to, bool with_rindle) {
  static std::atomic<int> counter{0};
  prefix_ = name_hint + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  conn_ = oban::db::connect(server_dsn());
  {
    pqxx::work tx{*conn_};
    tx.exec("DROP SCHEMA IF EXISTS " + oban::db::quote_ident(prefix_) + " CASCADE");
    tx.exec("CREATE SCHEMA " + oban::db::quote_ident(prefix_));
    tx.commit();
  }
  if (migrate_to > 0) oban::db::migrate(*conn_, prefix_, migrate_to);
  if (with_rindle) rindle::install_rindle_tables(*conn_, prefix_);
}

TestSchema::~TestSchema() {
  try {
    auto conn = oban::db::connect(server_dsn());
    pqxx::work tx{*conn};
    tx.exec("DROP SCHEMA IF EXISTS " + oban::db::quote_ident(prefix_) + " CASCADE");
    tx.commit();
  } catch (...) {
  }
}

std::string TestSchema::jobs_table() const { return oban::db::qualified(prefix_, "oban_jobs"); }

}  // namespace test_support
