// Oban's schema as this project installs it, compared with what Oban 2.23.1 installs.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/schema.hpp"
#include "support/pg_dump.hpp"
#include "support/test_database.hpp"

using namespace test_support;
namespace db = oban::db;

namespace {

const std::string kFixture = std::string{OBAN_FIXTURES_DIR} + "/schema.sql";

// A database of its own, for tests that need the `public` schema to themselves.
struct ScratchDatabase {
  std::string name;
  std::string dsn;
  explicit ScratchDatabase(const std::string& hint) {
    static int counter = 0;
    name = hint + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    auto admin = db::connect(server_dsn());
    pqxx::nontransaction tx{*admin};
    tx.exec("DROP DATABASE IF EXISTS " + db::quote_ident(name));
    tx.exec("CREATE DATABASE " + db::quote_ident(name));
    dsn = server_dsn() + " dbname=" + name;
  }
  ~ScratchDatabase() {
    try {
      auto admin = db::connect(server_dsn());
      pqxx::nontransaction tx{*admin};
      tx.exec("DROP DATABASE IF EXISTS " + db::quote_ident(name) + " WITH (FORCE)");
    } catch (...) {
    }
  }
};

}  // namespace

TEST_CASE("a fresh public schema dumps exactly like Oban 2.23.1's", "[schema]") {
  ScratchDatabase database{"schema_public"};
  auto conn = db::connect(database.dsn);
  auto result = db::migrate(*conn, "public");
  CHECK(result.from == 0);
  CHECK(result.to == 14);
  CHECK(result.changed);
  CHECK(normalize_dump(pg_dump_schema(database.dsn)) == normalize_dump(read_text_file(kFixture)));
}

TEST_CASE("a second prefix, and one that needs quoting, dump like Oban's public schema", "[schema]") {
  for (const std::string prefix : {"oban_private", "Odd \"Prefix\" o'k"}) {
    ScratchDatabase database{"schema_prefix"};
    auto conn = db::connect(database.dsn);
    db::migrate(*conn, prefix);
    CHECK(db::schema_version(*conn, prefix) == 14);
    CHECK(db::schema_version(*conn, "public") == 0);
    const auto ours = normalize_dump(pg_dump_schema(database.dsn, prefix), prefix);
    if (std::getenv("OBAN_DEBUG_DUMP")) {
      std::ofstream{"/tmp/ours.sql"} << ours;
      std::ofstream{"/tmp/theirs.sql"} << normalize_dump(read_text_file(kFixture));
    }
    CHECK(ours == normalize_dump(read_text_file(kFixture)));
  }
}

TEST_CASE("migrating twice is a no-op", "[schema]") {
  TestSchema schema{"twice", 0};
  auto first = db::migrate(schema.conn(), schema.prefix());
  auto second = db::migrate(schema.conn(), schema.prefix());
  CHECK(first.changed);
  CHECK_FALSE(second.changed);
  CHECK(second.from == 14);
  CHECK(second.message.find("nothing to do") != std::string::npos);
}

TEST_CASE("V12 migrates up to V14 and ends identical to a fresh install", "[schema]") {
  ScratchDatabase database{"schema_v12"};
  auto conn = db::connect(database.dsn);
  db::migrate(*conn, "public", 12);
  CHECK(db::schema_version(*conn, "public") == 12);
  {
    pqxx::read_transaction tx{*conn};
    // V12 has no Pruner indexes yet.
    CHECK(tx.exec("SELECT 1 FROM pg_indexes WHERE indexname = 'oban_jobs_state_cancelled_at_index'").empty());
  }
  auto result = db::migrate(*conn, "public");
  CHECK(result.from == 12);
  CHECK(result.to == 14);
  CHECK(normalize_dump(pg_dump_schema(database.dsn)) == normalize_dump(read_text_file(kFixture)));
}

TEST_CASE("V11 to V14 drops the notify trigger that V12 removed", "[schema]") {
  TestSchema schema{"v11", 11};
  {
    pqxx::read_transaction tx{schema.conn()};
    CHECK(tx.exec("SELECT 1 FROM pg_trigger WHERE tgname = 'oban_notify'").size() == 1);
  }
  db::migrate(schema.conn(), schema.prefix());
  pqxx::read_transaction tx{schema.conn()};
  CHECK(tx.exec_params("SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                       "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE tgname = 'oban_notify' AND nspname = $1",
                       schema.prefix())
            .empty());
}

TEST_CASE("a schema newer than this build knows is left untouched", "[schema]") {
  TestSchema schema{"newer", 14};
  {
    pqxx::work tx{schema.conn()};
    tx.exec("COMMENT ON TABLE " + schema.jobs_table() + " IS '15'");
    tx.commit();
  }
  auto result = db::migrate(schema.conn(), schema.prefix());
  CHECK_FALSE(result.changed);
  CHECK(result.message.find("newer than this build knows") != std::string::npos);
  CHECK(db::schema_version(schema.conn(), schema.prefix()) == 15);
}

TEST_CASE("a lower target never lowers the version", "[schema]") {
  TestSchema schema{"lower", 14};
  auto result = db::migrate(schema.conn(), schema.prefix(), 12);
  CHECK_FALSE(result.changed);
  CHECK(result.message.find("never lowered") != std::string::npos);
  CHECK(db::schema_version(schema.conn(), schema.prefix()) == 14);
}

TEST_CASE("queues refuse a schema older than V12 and say what is needed", "[schema]") {
  TestSchema schema{"old", 11};
  REQUIRE_THROWS_WITH(db::require_runnable_schema(schema.conn(), schema.prefix()),
                      Catch::Contains("Oban schema version 11") && Catch::Contains("needs version 12 or later"));
  TestSchema empty{"none", 0};
  REQUIRE_THROWS_WITH(db::require_runnable_schema(empty.conn(), empty.prefix()), Catch::Contains("no Oban schema"));
  db::migrate(schema.conn(), schema.prefix(), 12);
  CHECK_NOTHROW(db::require_runnable_schema(schema.conn(), schema.prefix()));
}
