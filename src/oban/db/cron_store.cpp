#include "oban/db/cron_store.hpp"

#include "oban/db/identifiers.hpp"
#include "oban/db/job_row.hpp"

namespace oban::db {

void lock_cron_entries(pqxx::transaction_base& tx, int lock_namespace, const std::vector<std::string>& names) {
  // The lock function returns void, which cannot be sorted on: sort the keys first.
  tx.exec_params(
      "SELECT k.key, pg_advisory_xact_lock($1, k.key) FROM"
      " (SELECT DISTINCT hashtext(name) AS key FROM unnest($2::text[]) AS name ORDER BY 1) AS k ORDER BY k.key",
      lock_namespace, text_array_literal(names));
}

std::vector<std::string> cron_entries_inserted_in(pqxx::transaction_base& tx, const std::string& prefix,
                                                  const std::vector<std::string>& workers,
                                                  const std::vector<std::string>& names, Timestamp minute) {
  const auto rows = tx.exec_params(
      "SELECT e.name FROM unnest($1::text[], $2::text[]) AS e(worker, name) WHERE EXISTS ("
      " SELECT 1 FROM " + qualified(prefix, "oban_jobs") + " j"
      " WHERE j.meta @> jsonb_build_object('cron', true, 'cron_name', e.name) AND j.worker = e.worker"
      " AND j.inserted_at >= $3::timestamp AND j.inserted_at < $3::timestamp + interval '1 minute')",
      text_array_literal(workers), text_array_literal(names), format_sql_timestamp(minute));
  std::vector<std::string> inserted;
  for (const auto& row : rows) inserted.emplace_back(row[0].c_str());
  return inserted;
}

}  // namespace oban::db
