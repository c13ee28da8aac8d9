#include "oban/db/job_control.hpp"

#include "oban/db/identifiers.hpp"
#include "oban/db/job_row.hpp"

namespace oban::db {
namespace {

std::vector<ChangedJob> read_changed(const pqxx::result& rows) {
  std::vector<ChangedJob> changed;
  changed.reserve(rows.size());
  for (const auto& row : rows) {
    ChangedJob job;
    job.id = row[0].as<std::int64_t>();
    job.queue = row[1].c_str();
    job.previous_state = parse_job_state(row[2].c_str()).value_or(JobState::available);
    changed.push_back(std::move(job));
  }
  return changed;
}

}  // namespace

// As Oban: the subquery picks the rows and their old state, the UPDATE joins it; RETURNING
// reads the old state from the subquery. No notification here: the caller sends pkill for
// the jobs that were executing.
std::vector<ChangedJob> cancel_jobs(pqxx::transaction_base& tx, const std::string& prefix,
                                    const std::vector<std::int64_t>& ids, Timestamp now) {
  if (ids.empty()) return {};
  const auto table = qualified(prefix, "oban_jobs");
  return read_changed(tx.exec_params(
      "UPDATE " + table + " AS o SET state = 'cancelled', cancelled_at = $2::timestamp "
      "FROM (SELECT so.id, so.queue, so.state FROM " + table + " AS so "
      "WHERE so.id = ANY($1::bigint[]) AND NOT (so.state IN ('cancelled', 'completed', 'discarded'))) AS s "
      "WHERE o.id = s.id RETURNING s.id, s.queue, s.state::text",
      bigint_array_literal(ids), format_sql_timestamp(now)));
}

std::vector<ChangedJob> retry_jobs(pqxx::transaction_base& tx, const std::string& prefix,
                                   const std::vector<std::int64_t>& ids, Timestamp now) {
  if (ids.empty()) return {};
  const auto table = qualified(prefix, "oban_jobs");
  return read_changed(tx.exec_params(
      "UPDATE " + table + " AS o SET state = 'available', max_attempts = GREATEST(o.max_attempts, o.attempt + 1), "
      "scheduled_at = $2::timestamp, completed_at = NULL, cancelled_at = NULL, discarded_at = NULL "
      "FROM (SELECT so.id, so.queue, so.state FROM " + table + " AS so "
      "WHERE so.id = ANY($1::bigint[]) AND NOT (so.state IN ('available', 'executing'))) AS s "
      "WHERE o.id = s.id RETURNING s.id, s.queue, s.state::text",
      bigint_array_literal(ids), format_sql_timestamp(now)));
}

std::vector<Job> enqueued_jobs(pqxx::transaction_base& tx, const std::string& prefix,
                               const std::optional<std::string>& worker, const std::optional<std::string>& queue) {
  // state::text: schemas before V14 have no 'suspended' in the enum. '' means any (worker and
  // queue names are never empty).
  auto rows = tx.exec_params("SELECT " + job_columns("j") + " FROM " + qualified(prefix, "oban_jobs") +
                                 " AS j WHERE j.state::text IN ('available', 'scheduled', 'suspended') "
                                 "AND ($1 = '' OR j.worker = $1) AND ($2 = '' OR j.queue = $2) "
                                 "ORDER BY j.id DESC",
                             worker.value_or(""), queue.value_or(""));
  std::vector<Job> jobs;
  jobs.reserve(rows.size());
  for (const auto& row : rows) jobs.push_back(read_job(row));
  return jobs;
}

}  // namespace oban::db
