#pragma once
// The `oban_peers` statements of Oban 2.23.1's Database peer (lib/oban/peers/database.ex),
// shaped like the SQL recorded in tests/fixtures/oban-2.23.1/sql-log.txt.
#include <chrono>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "oban/core/timestamp.hpp"

namespace oban::db {

// One election, in one transaction: delete the name's expired row (expires_at < now),
// then insert (name, node, now, now + lease) or, on conflict, extend expires_at only when
// the row is already ours (WHERE oban_peers.node = node, the 2.23.1 fix). True when a row
// was inserted or extended, i.e. this node leads until now + lease. Throws on DB errors.
bool attempt_leadership(pqxx::connection& conn, const std::string& prefix, const std::string& name,
                        const std::string& node, Timestamp now, std::chrono::milliseconds lease);

// A leader's graceful exit, in one transaction: delete its own row (name and node) and
// NOTIFY "<prefix>.oban_leader" {"down":"<name>"}. Returns whether a row was deleted.
bool resign_leadership(pqxx::connection& conn, const std::string& prefix, const std::string& name,
                       const std::string& node);

// The node holding the row for `name` (Oban.Peer.get_leader), expired or not.
std::optional<std::string> get_leader(pqxx::connection& conn, const std::string& prefix,
                                      const std::string& name);

}  // namespace oban::db
