#pragma once
// Oban's job events, reported by the producer: "job:start" when perform begins, and when
// the run's outcome is decided "job:stop" (state success, snoozed, cancelled or discard) or
// "job:exception" (state failure while attempts remain, discard when they are exhausted),
// with Oban's metadata (id, args, queue, worker, attempt, max_attempts, tags, meta) plus
// "node", and Oban's measurements (duration, queue_time in ns).
#include <chrono>
#include <string>

#include "oban/core/job.hpp"
#include "oban/db/job_store.hpp"
#include "oban/queue/executor.hpp"

namespace oban::queue {

void emit_job_start(const Job& job, const std::string& node);

// `ack` is the ack the execution becomes (it decides failure vs discard, and whether the
// attempt counted); `elapsed` is how
// long perform ran (or until the outcome was decided, for a timeout or a pkill).
void emit_job_end(const Job& job, const std::string& node, const Execution& execution, const db::JobAck& ack,
                  std::chrono::steady_clock::duration elapsed);

}  // namespace oban::queue
