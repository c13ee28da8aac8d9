#pragma once
// Oban's schema: migrations V1..V14, in this project's SQL. The functions take any libpqxx
// connection (db::connect gives one; include <pqxx/pqxx> or <oban/db/connection.hpp> to call
// them); this header itself needs no libpqxx.
#include <string>

namespace pqxx {
class connection_base;
}

namespace oban::db {

constexpr int kCurrentSchemaVersion = 14;   // Oban 2.23.1
constexpr int kMinimumRunnableVersion = 12; // the oldest schema a node will run queues on

// The version recorded in the comment of "<prefix>".oban_jobs; 0 when there is none.
// Throws std::runtime_error for a comment that is not a number (e.g. Pro's "∞").
int schema_version(pqxx::connection_base& conn, const std::string& prefix);

struct MigrationResult {
  int from = 0;
  int to = 0;
  bool changed = false;
  std::string message{}; // what happened, for people
};

// Migrates "<prefix>" up from whatever version it finds to `target` (1..14), in one
// transaction. Never lowers a version: a schema newer than `target`, or newer than
// this build knows, is left untouched and the message says so.
MigrationResult migrate(pqxx::connection_base& conn, const std::string& prefix,
                        int target = kCurrentSchemaVersion);

// Throws std::runtime_error naming the version found and the version needed when the
// schema is older than kMinimumRunnableVersion.
void require_runnable_schema(pqxx::connection_base& conn, const std::string& prefix);

}  // namespace oban::db
