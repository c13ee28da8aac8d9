#include "oban/db/maintenance_store.hpp"

#include <stdexcept>

#include "oban/db/identifiers.hpp"
#include "oban/db/job_row.hpp"

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

// The scope as a SQL condition on `alias`.worker and its array parameter: everything when
// the scope is the whole table (the parameter is then unused but bound, as NULL).
std::string scope_condition(const WorkerScope& workers, const std::string& alias, int param) {
  if (!workers) return "($" + std::to_string(param) + "::text[] IS NULL)";
  return "(" + alias + ".worker = ANY($" + std::to_string(param) + "::text[]))";
}

// The scope's array parameter: the workers as a text[] literal, or NULL for the whole table.
class ScopeParameter {
 public:
  explicit ScopeParameter(const WorkerScope& workers) {
    if (workers) literal_ = text_array_literal(*workers);
  }
  const char* get() const { return literal_ ? literal_->c_str() : nullptr; }

 private:
  std::optional<std::string> literal_;
};

}  // namespace

std::vector<JobSummary> prune_jobs(pqxx::transaction_base& tx, const std::string& prefix, Timestamp now,
                                   std::chrono::seconds max_age, std::int64_t limit, const WorkerScope& workers) {
  const auto table = qualified(prefix, "oban_jobs");
  // One cutoff for all three states, as Oban computes `time` once.
  const auto cutoff = format_sql_timestamp(now - max_age);
  const auto rows = tx.exec_params(
      "DELETE FROM " + table + " AS o0 USING ("
      "SELECT so0.id AS id, so0.queue AS queue, so0.state AS state FROM " + table + " AS so0 "
      "WHERE (so0.queue IS NOT NULL) AND " + scope_condition(workers, "so0", 3) + " AND ("
      "(so0.state = 'completed' AND so0.scheduled_at < $1::timestamp) OR "
      "(so0.state = 'cancelled' AND so0.cancelled_at < $1::timestamp) OR "
      "(so0.state = 'discarded' AND so0.discarded_at < $1::timestamp)) "
      "LIMIT $2) AS s1 "
      "WHERE (o0.id = s1.id) RETURNING s1.id, s1.queue, s1.state",
      cutoff, limit, ScopeParameter{workers}.get());
  return read_summaries(rows);
}

RescueResult rescue_jobs(pqxx::transaction_base& tx, const std::string& prefix, Timestamp now,
                         std::chrono::milliseconds rescue_after, const WorkerScope& workers) {
  const auto table = qualified(prefix, "oban_jobs");
  const auto cut = format_sql_timestamp(now - rescue_after);
  const ScopeParameter scope{workers};
  RescueResult result;
  result.rescued = read_summaries(tx.exec_params(
      "UPDATE " + table + " AS o0 SET state = 'available' "
      "WHERE (o0.state = 'executing') AND (o0.attempted_at < $1::timestamp) AND (o0.attempt < o0.max_attempts) "
      "AND " + scope_condition(workers, "o0", 2) + " RETURNING o0.id, o0.queue, o0.state",
      cut, scope.get()));
  result.discarded = read_summaries(tx.exec_params(
      "UPDATE " + table + " AS o0 SET state = 'discarded', discarded_at = $2::timestamp "
      "WHERE (o0.state = 'executing') AND (o0.attempted_at < $1::timestamp) AND (o0.attempt >= o0.max_attempts) "
      "AND " + scope_condition(workers, "o0", 3) + " RETURNING o0.id, o0.queue, o0.state",
      cut, format_sql_timestamp(now), scope.get()));
  return result;
}

std::vector<UnknownWorkerFailure> unknown_worker_failures(pqxx::transaction_base& tx, const std::string& prefix,
                                                          const std::vector<std::string>& workers,
                                                          const std::string& except_node, Timestamp since,
                                                          std::int64_t limit) {
  // The state condition uses the (state, queue, ...) index; the rest filters those rows.
  // The entry's text is Oban's with an empty stacktrace; a trace, should a version add
  // one, follows a newline.
  const auto rows = tx.exec_params(
      "SELECT o.id, o.attempt, o.worker, coalesce(o.attempted_by[1], ''), o.attempted_at FROM " +
          qualified(prefix, "oban_jobs") + " AS o, LATERAL (SELECT o.errors[array_upper(o.errors, 1)] AS entry) AS e "
          "WHERE o.state IN ('retryable', 'discarded') AND o.worker = ANY($1::text[]) "
          "AND o.attempted_at >= $2::timestamp "
          "AND ($3 = '' OR o.attempted_by[1] IS DISTINCT FROM $3) "
          "AND e.entry->>'attempt' = o.attempt::text "
          "AND (e.entry->>'error' = '** (RuntimeError) unknown worker: ' || o.worker "
          "     OR starts_with(e.entry->>'error', '** (RuntimeError) unknown worker: ' || o.worker || E'\\n')) "
          "ORDER BY o.attempted_at, o.id LIMIT $4",
      text_array_literal(workers), format_sql_timestamp(since), except_node, limit);
  std::vector<UnknownWorkerFailure> failures;
  failures.reserve(rows.size());
  for (const auto& row : rows) {
    failures.push_back({row[0].as<std::int64_t>(), row[1].as<int>(), row[2].as<std::string>(),
                        row[3].as<std::string>(), parse_sql_timestamp(row[4].as<std::string>())});
  }
  return failures;
}

}  // namespace oban::db
