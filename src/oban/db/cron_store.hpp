#pragma once
// The cron plugin's statements (beyond Oban, which checks nothing before inserting).
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/timestamp.hpp"

namespace oban::db {

// Takes a transaction-scoped advisory lock per entry name (two-int4 form, `lock_namespace`,
// a key space Elixir's single-bigint locks never use), in ascending key order so two
// leaders locking overlapping entries cannot deadlock. Blocks until held.
void lock_cron_entries(pqxx::transaction_base& tx, int lock_namespace, const std::vector<std::string>& names);

// Of the entries (workers[i], names[i]), the names of those a job was inserted for by any
// node in the minute starting at `minute`: a job of that worker whose meta has
// {"cron": true, "cron_name": name} and whose inserted_at falls in the minute (meta GIN index).
std::vector<std::string> cron_entries_inserted_in(pqxx::transaction_base& tx, const std::string& prefix,
                                                  const std::vector<std::string>& workers,
                                                  const std::vector<std::string>& names, Timestamp minute);

}  // namespace oban::db
