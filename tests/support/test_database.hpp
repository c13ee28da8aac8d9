#pragma once
// Integration tests share one PostgreSQL per test process (a private cluster, or the
// server named by OBAN_TEST_DSN), and each test case gets a schema of its own, which also
// isolates notifier channels, since channel names carry the prefix.
#include <memory>
#include <string>

#include <pqxx/pqxx>

namespace test_support {

// The DSN of the shared server, started on first use.
const std::string& server_dsn();

// A fresh, uniquely named schema, dropped when destroyed.
class TestSchema {
 public:
  // `name_hint` becomes part of the schema name; `migrate_to` 0 leaves it empty.
  explicit TestSchema(const std::string& name_hint = "t", int migrate_to = 14, bool with_rindle = false);
  ~TestSchema();
  TestSchema(const TestSchema&) = delete;
  TestSchema& operator=(const TestSchema&) = delete;

  const std::string& prefix() const { return prefix_; }
  const std::string& dsn() const { return server_dsn(); }
  // A connection for the test's own queries and checks.
  pqxx::connection& conn() { return *conn_; }
  // "prefix".oban_jobs
  std::string jobs_table() const;

 private:
  std::string prefix_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace test_support
