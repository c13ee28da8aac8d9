#pragma once
// The statements behind Oban's public job API (Oban.cancel_all_jobs, Oban.retry_all_jobs,
// and what Oban.Testing reads), restricted to job ids. oban-protocol.md section 3.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/job.hpp"
#include "oban/core/job_state.hpp"
#include "oban/core/timestamp.hpp"

namespace oban::db {

// A job a statement changed: its id, queue and the state it had before.
struct ChangedJob {
  std::int64_t id = 0;
  std::string queue;
  JobState previous_state = JobState::available;
};

// cancel_all_jobs: jobs not cancelled, completed or discarded become cancelled at `now`.
std::vector<ChangedJob> cancel_jobs(pqxx::transaction_base& tx, const std::string& prefix,
                                    const std::vector<std::int64_t>& ids, Timestamp now);

// retry_all_jobs: jobs not available or executing become available at `now`, with one more
// attempt if they had none left and their completed/cancelled/discarded times cleared.
std::vector<ChangedJob> retry_jobs(pqxx::transaction_base& tx, const std::string& prefix,
                                   const std::vector<std::int64_t>& ids, Timestamp now);

// Oban.Testing's candidates: available, scheduled and suspended jobs, newest first,
// optionally of one worker and one queue.
std::vector<Job> enqueued_jobs(pqxx::transaction_base& tx, const std::string& prefix,
                               const std::optional<std::string>& worker, const std::optional<std::string>& queue);

}  // namespace oban::db
