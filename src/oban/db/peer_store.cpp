#include "oban/db/peer_store.hpp"

#include "oban/db/identifiers.hpp"
#include "oban/db/job_row.hpp"
#include "oban/db/notification.hpp"
#include "oban/json/json_writer.hpp"

namespace oban::db {

bool attempt_leadership(pqxx::connection& conn, const std::string& prefix, const std::string& name,
                        const std::string& node, Timestamp now, std::chrono::milliseconds lease) {
  const auto table = qualified(prefix, "oban_peers");
  const auto started_at = format_sql_timestamp(now);
  const auto expires_at = format_sql_timestamp(now + lease);
  pqxx::work tx{conn};
  // Expiry is judged by this node's clock, as Elixir judges it by its own.
  tx.exec_params("DELETE FROM " + table + " AS o0 WHERE (o0.name = $1) AND (o0.expires_at < $2::timestamp)",
                 name, started_at);
  const auto result = tx.exec_params(
      "INSERT INTO " + table + " AS o0 (expires_at, name, node, started_at) "
      "VALUES ($1::timestamp, $2, $3, $4::timestamp) "
      "ON CONFLICT (name) DO UPDATE SET expires_at = $5::timestamp WHERE (o0.node = $6)",
      expires_at, name, node, started_at, expires_at, node);
  tx.commit();
  return result.affected_rows() > 0;
}

bool resign_leadership(pqxx::connection& conn, const std::string& prefix, const std::string& name,
                       const std::string& node) {
  pqxx::work tx{conn};
  const auto result = tx.exec_params(
      "DELETE FROM " + qualified(prefix, "oban_peers") + " AS o0 WHERE ((o0.name = $1) AND (o0.node = $2))", name,
      node);
  notify(tx, prefix, "leader", {json::ObjectWriter{}.add("down", name).str()});
  tx.commit();
  return result.affected_rows() > 0;
}

std::optional<std::string> get_leader(pqxx::connection& conn, const std::string& prefix,
                                      const std::string& name) {
  pqxx::read_transaction tx{conn};
  const auto rows =
      tx.exec_params("SELECT o0.node FROM " + qualified(prefix, "oban_peers") + " AS o0 WHERE (o0.name = $1)", name);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

}  // namespace oban::db
