#include "oban/db/schema.hpp"

#include <cstdio>
#include <stdexcept>

#include <pqxx/pqxx>

#include "oban/db/embedded_sql.hpp"
#include "oban/db/identifiers.hpp"

namespace oban::db {
namespace {

// Migrations take this advisory lock (two-int4 form, our own key space) so two nodes
// starting at once do not race through the same DDL.
constexpr int kLockNamespace = 0x0BA4;
constexpr int kMigrationLockKey = 1;

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// Fills the placeholders of a file in sql/ for one prefix.
std::string render(const std::string& sql, const std::string& prefix) {
  auto escape_quotes = [](const std::string& text) { return replace_all(text, "'", "''"); };
  std::string out = replace_all(sql, "{{prefix_literal}}", quote_literal(prefix));
  out = replace_all(out, "{{prefix_regclass}}", escape_quotes(quote_ident(prefix)));
  out = replace_all(out, "{{channel_prefix}}", escape_quotes(prefix));
  out = replace_all(out, "{{schema}}", quote_ident(prefix));
  return replace_all(out, "{{prefix}}", quote_ident(prefix));
}

std::string migration_file(int version) {
  char name[32];
  std::snprintf(name, sizeof name, "oban/v%02d.sql", version);
  return name;
}

int read_version(pqxx::transaction_base& tx, const std::string& prefix) {
  auto rows = tx.exec_params(
      "SELECT obj_description(c.oid, 'pg_class') FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'oban_jobs' AND n.nspname = $1",
      prefix);
  if (rows.empty() || rows[0][0].is_null()) return 0;
  const std::string comment = rows[0][0].c_str();
  try {
    std::size_t used = 0;
    int version = std::stoi(comment, &used);
    if (used == comment.size()) return version;
  } catch (const std::exception&) {
  }
  throw std::runtime_error("the comment on " + qualified(prefix, "oban_jobs") + " is '" + comment +
                           "', not an Oban schema version this node understands (an externally managed schema?)");
}

}  // namespace

int schema_version(pqxx::connection_base& conn, const std::string& prefix) {
  pqxx::read_transaction tx{conn};
  return read_version(tx, prefix);
}

MigrationResult migrate(pqxx::connection_base& conn, const std::string& prefix, int target) {
  if (target < 1 || target > kCurrentSchemaVersion) {
    throw std::invalid_argument("unknown Oban schema version " + std::to_string(target) + " (this build knows 1.." +
                                std::to_string(kCurrentSchemaVersion) + ")");
  }
  pqxx::work tx{conn};
  tx.exec_params("SELECT pg_advisory_xact_lock($1, $2)", kLockNamespace, kMigrationLockKey);
  MigrationResult result;
  result.from = read_version(tx, prefix);
  result.to = result.from;
  const std::string where = "prefix " + quote_ident(prefix);
  if (result.from > kCurrentSchemaVersion) {
    result.message = where + " is at Oban schema version " + std::to_string(result.from) +
                     ", newer than this build knows (" + std::to_string(kCurrentSchemaVersion) + "); left untouched";
    return result;
  }
  if (result.from >= target) {
    result.message = where + " is at Oban schema version " + std::to_string(result.from) +
                     (result.from == target ? "; nothing to do" : "; versions are never lowered, left untouched");
    return result;
  }
  if (prefix != "public") tx.exec("CREATE SCHEMA IF NOT EXISTS " + quote_ident(prefix));
  for (int version = result.from + 1; version <= target; ++version) {
    tx.exec(render(embedded_sql_file(migration_file(version)), prefix));
  }
  tx.exec("COMMENT ON TABLE " + qualified(prefix, "oban_jobs") + " IS " + quote_literal(std::to_string(target)));
  tx.commit();
  result.to = target;
  result.changed = true;
  result.message = where + " migrated from Oban schema version " + std::to_string(result.from) + " to " +
                   std::to_string(target);
  return result;
}

void require_runnable_schema(pqxx::connection_base& conn, const std::string& prefix) {
  const int version = schema_version(conn, prefix);
  if (version >= kMinimumRunnableVersion) return;
  const std::string found = version == 0 ? "no Oban schema" : "Oban schema version " + std::to_string(version);
  throw std::runtime_error("found " + found + " in prefix " + quote_ident(prefix) + "; running queues needs version " +
                           std::to_string(kMinimumRunnableVersion) + " or later: migrate it first (Oban's migrations up to version " +
                           std::to_string(kCurrentSchemaVersion) + ")");
}

}  // namespace oban::db
