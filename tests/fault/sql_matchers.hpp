#pragma once
// Which statement a node sent, for the proxy's drop-after-commit rule. By what the statement
// does, not by its exact text, so the rule still finds the fetch and the ack when they
// become single autocommit statements or gain guards.
#include <string_view>

namespace fault {

inline bool has(std::string_view sql, std::string_view part) { return sql.find(part) != std::string_view::npos; }

inline bool updates_jobs(std::string_view sql) {
  return (has(sql, "UPDATE") || has(sql, "update")) && has(sql, "oban_jobs");
}

// The fetch: rows become executing with this producer in attempted_by.
inline bool is_fetch(std::string_view sql) {
  return updates_jobs(sql) && has(sql, "'executing'") && has(sql, "attempted_by");
}

// An ack: rows leave executing for a final or a waiting state (not the stager's or a
// rescue's 'available').
inline bool is_ack(std::string_view sql) {
  if (!updates_jobs(sql) || is_fetch(sql) || has(sql, "'available'")) return false;
  for (const auto* state : {"'completed'", "'retryable'", "'scheduled'", "'discarded'", "'cancelled'"}) {
    if (has(sql, state)) return true;
  }
  return false;
}

}  // namespace fault
