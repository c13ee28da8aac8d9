#include "oban/db/maintenance_store.hpp"

#include <stdexcept>

#include "oban/db/identifiers.hpp"

namespace oban::db {
namespace {

std::vector<JobSummary> read_summaries(const pqxx::result& rows) {
  std::vector<JobSummary> jobs;
  jobs.reserve(rows.size());
  for (const auto& row : rows) {
    const auto state_text = row[2].as<std::string>();
    const auto state = parse_job_state(state_text);
    if (!state) throw std::runtime_error("unknown job state: " + state_text);
    jobs.push_back(JobSummary{row[0].as<std::int64_t>(), row[1].as<std::string>(), *state});
  }
  return jobs;
}

}  // namespace

std::vector<JobSummary> prune_jobs(pqxx::transaction_base& tx, const std::string& prefix, Timestamp now,
                                   std::chrono::seconds max_age, std::int64_t limit) {
  const auto table = qualified(prefix, "oban_jobs");
  // One cutoff for all three states, as Oban computes `time` once.
  const auto cutoff = format_sql_timestamp(now - max_age);
  const auto rows = tx.exec_params(
      "DELETE FROM " + table + " AS o0 USING ("
      "SELECT so0.id AS id, so0.queue AS queue, so0.state AS state FROM " + table + " AS so0 "
      "WHERE (so0.queue IS NOT NULL) AND ("
      "(so0.state = 'completed' AND so0.scheduled_at < $1::timestamp) OR "
      "(so0.state = 'cancelled' AND so0.cancelled_at < $1::timestamp) OR "
      "(so0.state = 'discarded' AND so0.discarded_at < $1::timestamp)) "
      "LIMIT $2) AS s1 "
      "WHERE (o0.id = s1.id) RETURNING s1.id, s1.queue, s1.state",
      cutoff, limit);
  return read_summaries(rows);
}

RescueResult rescue_jobs(pqxx::transaction_base& tx, const std::string& prefix, Timestamp now,
                         std::chrono::milliseconds rescue_after) {
  const auto table = qualified(prefix, "oban_jobs");
  const auto cut = format_sql_timestamp(now - rescue_after);
  RescueResult result;
  result.rescued = read_summaries(tx.exec_params(
      "UPDATE " + table + " AS o0 SET state = 'available' "
      "WHERE (o0.state = 'executing') AND (o0.attempted_at < $1::timestamp) AND (o0.attempt < o0.max_attempts) "
      "RETURNING o0.id, o0.queue, o0.state",
      cut));
  result.discarded = read_summaries(tx.exec_params(
      "UPDATE " + table + " AS o0 SET state = 'discarded', discarded_at = $2::timestamp "
      "WHERE (o0.state = 'executing') AND (o0.attempted_at < $1::timestamp) AND (o0.attempt >= o0.max_attempts) "
      "RETURNING o0.id, o0.queue, o0.state",
      cut, format_sql_timestamp(now)));
  return result;
}

}  // namespace oban::db
