#pragma once
// The leader-only maintenance statements of Oban 2.23.1's Basic engine: prune_jobs (Pruner)
// and rescue_jobs (Lifeline), see oban-protocol.md section 3, each optionally narrowed to a
// list of workers (a guest node touches only its own workers' rows); and the query behind
// the unknown-worker warning.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/job_state.hpp"
#include "oban/core/timestamp.hpp"

namespace oban::db {

// What these statements return for each job they touch, as Oban's map(id, queue, state).
struct JobSummary {
  std::int64_t id = 0;
  std::string queue;
  JobState state = JobState::available;  // prune: the state it had; rescue: its new state
  bool operator==(const JobSummary&) const = default;
};

// Which rows a maintenance statement may touch: nullopt is the whole table (Oban's own
// statements); a list is the jobs of those workers only (an empty list touches nothing).
using WorkerScope = std::optional<std::vector<std::string>>;

// Deletes up to `limit` finished jobs older than `max_age` before `now` (no ORDER BY):
// completed judged by scheduled_at (not completed_at, as Oban does), cancelled by
// cancelled_at, discarded by discarded_at. Returns the deleted jobs.
std::vector<JobSummary> prune_jobs(pqxx::transaction_base& tx, const std::string& prefix, Timestamp now,
                                   std::chrono::seconds max_age, std::int64_t limit, const WorkerScope& workers = {});

struct RescueResult {
  std::vector<JobSummary> rescued;    // executing -> available (attempts left)
  std::vector<JobSummary> discarded;  // executing -> discarded (attempts exhausted)
};

// Jobs executing since before now - rescue_after: those with attempts left go back to
// available (attempt, attempted_by and errors untouched, no error entry); exhausted ones
// are discarded with discarded_at = now. Two UPDATEs in the caller's transaction.
RescueResult rescue_jobs(pqxx::transaction_base& tx, const std::string& prefix, Timestamp now,
                         std::chrono::milliseconds rescue_after, const WorkerScope& workers = {});

// One attempt of one job that a node without the worker failed the way Oban does
// (Executor.resolve_worker: an errors entry `** (RuntimeError) unknown worker: <worker>`
// with no stacktrace), found while that failure is still the row's latest attempt: the
// row is retryable or discarded, its last errors entry is for its current attempt, and
// attempted_by[1] names the node that wrote it.
struct UnknownWorkerFailure {
  std::int64_t id = 0;
  int attempt = 0;
  std::string worker;
  std::string node;        // attempted_by[1]
  Timestamp attempted_at;  // start of the failed attempt
};

// Such failures of `workers` whose attempt started at or after `since`, written by any node
// but `except_node` (empty: every node), oldest first, at most `limit`.
std::vector<UnknownWorkerFailure> unknown_worker_failures(pqxx::transaction_base& tx, const std::string& prefix,
                                                          const std::vector<std::string>& workers,
                                                          const std::string& except_node, Timestamp since,
                                                          std::int64_t limit);

}  // namespace oban::db
