#pragma once
// One job a producer fetched, from fetch until its row no longer needs the producer.
// Shared by the producer, the thread running perform and the run's transactional ack, so a
// perform that outlives its producer (stop() gave up on it) touches only what this owns.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>

#include "oban/core/job.hpp"
#include "oban/queue/executor.hpp"
#include "oban/worker.hpp"

namespace oban::queue {

struct JobRun {
  // Who decided the run's one ack (the first to claim it wins).
  enum class Decider { none, perform, timeout, pkill, transaction, shutdown };

  Job job;
  std::shared_ptr<Worker> worker;
  std::stop_source stop;
  std::optional<std::chrono::steady_clock::time_point> deadline;  // when a worker timeout applies
  std::int64_t timeout_ms = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  std::mutex mutex;  // guards the fields below; taken before the producer's mutex, never after
  Decider decided = Decider::none;
  bool shutdown_requested = false;  // stop() asked it to stop at the end of the grace period
  bool abandoned = false;           // stop() let go of it: it must not call into the producer
  std::optional<Execution> committed;  // what JobContext::transaction committed with its ack
};

}  // namespace oban::queue
