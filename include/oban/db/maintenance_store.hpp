#pragma once
// The leader-only maintenance statements of Oban 2.23.1's Basic engine: prune_jobs (Pruner)
// and rescue_jobs (Lifeline). See oban-protocol.md section 3.
#include <chrono>
#include <cstdint>
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

// Deletes up to `limit` finished jobs older than `max_age` before `now` (no ORDER BY):
// completed judged by scheduled_at (not completed_at, as Oban does), cancelled by
// cancelled_at, discarded by discarded_at. Returns the deleted jobs.
std::vector<JobSummary> prune_jobs(pqxx::transaction_base& tx, const std::string& prefix, Timestamp now,
                                   std::chrono::seconds max_age, std::int64_t limit);

struct RescueResult {
  std::vector<JobSummary> rescued;    // executing -> available (attempts left)
  std::vector<JobSummary> discarded;  // executing -> discarded (attempts exhausted)
};

// Jobs executing since before now - rescue_after: those with attempts left go back to
// available (attempt, attempted_by and errors untouched, no error entry); exhausted ones
// are discarded with discarded_at = now. Two UPDATEs in the caller's transaction.
RescueResult rescue_jobs(pqxx::transaction_base& tx, const std::string& prefix, Timestamp now,
                         std::chrono::milliseconds rescue_after);

}  // namespace oban::db
