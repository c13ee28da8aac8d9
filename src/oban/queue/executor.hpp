#pragma once
// Runs one fetched job: resolves its worker, parses args, calls perform, catches everything,
// and turns the outcome into the ack Oban's executor would write (oban-protocol.md 9).
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "oban/core/job.hpp"
#include "oban/db/job_store.hpp"
#include "oban/worker.hpp"

namespace oban::queue {

// What happened to one run, before it becomes an ack.
struct Execution {
  enum class Kind {
    success,
    failure,
    cancel,
    snooze,
    discard,
    infrastructure,  // the database failed under perform (a lost connection, a pool timeout, an
                     // in-doubt commit): retried without counting the attempt, a few times
    superseded,      // the attempt was over before perform could commit (AttemptEnded): no ack
  };
  Kind kind = Kind::success;
  std::string error;                 // the errors entry text for failure/cancel/discard/infrastructure
  std::int64_t snooze_seconds = 0;   // for snooze
  std::shared_ptr<Worker> worker;    // null when the worker is unknown (default backoff applies)
};

// How many times in a row one attempt may fail on the infrastructure without being
// counted; after that it counts like any failure, so a job that always breaks its
// connection still ends.
inline constexpr int kMaxUncountedFailures = 3;

// Elixir's inspect/1 of a string: "text" with \" \\ \n \t ... escapes and \#{.
std::string elixir_string_literal(std::string_view text);

// "** (Oban.TimeoutError) <worker> timed out after <N>ms"
Execution timeout_execution(const Job& job, std::int64_t timeout_ms);
// "** (Oban.PerformError) <worker> failed with {:cancel, :shutdown}": a pkill.
Execution shutdown_execution(const Job& job);

class Executor {
 public:
  explicit Executor(const WorkerRegistry& registry) : registry_(registry) {}

  std::shared_ptr<Worker> resolve(const Job& job) const { return registry_.find(job.worker); }

  // Runs perform on the calling thread. Never throws. `ack` (may be null) is what
  // JobContext::transaction writes through. Args that are not a JSON object cancel the job
  // before perform: no retry could fix them.
  static Execution run(const Job& job, const std::shared_ptr<Worker>& worker, std::stop_token stop,
                       TransactionalAck* ack = nullptr);
  // What a worker's result means.
  static Execution from_result(const Job& job, const std::shared_ptr<Worker>& worker, const JobResult& result);

  // The ack for an execution at `now` (not for `superseded`, which writes none): failures
  // retry (worker backoff) while attempt < max_attempts and are discarded after that.
  static db::JobAck to_ack(const Job& job, const Execution& execution, Timestamp now);

 private:
  const WorkerRegistry& registry_;
};

}  // namespace oban::queue
