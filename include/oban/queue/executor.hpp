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
  enum class Kind { success, failure, cancel, snooze, discard };
  Kind kind = Kind::success;
  std::string error;                 // the errors entry text for failure/cancel/discard
  std::int64_t snooze_seconds = 0;   // for snooze
  std::shared_ptr<Worker> worker;    // null when the worker is unknown (default backoff applies)
};

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

  // Runs perform on the calling thread. Never throws.
  Execution execute(const Job& job, std::stop_token stop) const { return run(job, resolve(job), std::move(stop)); }
  // The same with the worker already resolved (null: unknown worker).
  static Execution run(const Job& job, const std::shared_ptr<Worker>& worker, std::stop_token stop);

  // The ack for an execution at `now`: failures retry (worker backoff) while
  // attempt < max_attempts and are discarded after that.
  static db::JobAck to_ack(const Job& job, const Execution& execution, Timestamp now);

 private:
  const WorkerRegistry& registry_;
};

}  // namespace oban::queue
