#pragma once
// Which statement a node sent, for the proxy's drop-after-commit rule. By what the statement
// does (the state it sets), not by its exact text, so the rule finds the fetch and the acks
// whether they run alone or in a transaction, guarded or not.
#include <string>
#include <string_view>

namespace fault {

inline bool has(std::string_view sql, std::string_view part) { return sql.find(part) != std::string_view::npos; }

inline bool updates_jobs(std::string_view sql) {
  return (has(sql, "UPDATE") || has(sql, "update")) && has(sql, "oban_jobs");
}

// The fetch: rows become executing (the acks' guards also name 'executing', in WHERE).
inline bool is_fetch(std::string_view sql) { return updates_jobs(sql) && has(sql, "SET state = 'executing'"); }

// An ack: rows leave executing for a final or a waiting state (not a release's, the
// stager's or a rescue's 'available').
inline bool is_ack(std::string_view sql) {
  if (!updates_jobs(sql)) return false;
  for (const auto* state : {"'completed'", "'retryable'", "'scheduled'", "'discarded'", "'cancelled'"}) {
    if (has(sql, std::string{"SET state = "} + state)) return true;
  }
  return false;
}

}  // namespace fault
