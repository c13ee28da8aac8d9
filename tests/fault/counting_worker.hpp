#pragma once
// The worker every scenario runs: it never fails by itself (unless a job's args script a
// failure) and records each run per job id, so a scenario can tell a job run once from one
// run twice or never. Args (all optional):
//   "mode": "ok" (default) | "error_once" (returns {:error, _} on its first run) |
//           "snooze_once" (snoozes 1 s on its first run) | "bad_utf8_once" (throws a text with
//           the bytes C3 28 on its first run) | "bad_utf8_reason_once" (returns {:error, _}
//           with those bytes in the reason) | "nul_once" (throws a text with a NUL byte) |
//           "ignore_stop" (sleeps sleep_ms whatever its stop token says, as a worker stuck
//           in a call that cannot be interrupted; a shutdown gives its first run up)
//   "sleep_ms": how long the run takes (the stop token cuts it short, except ignore_stop)
//   "db": true: the run reads from the database through the workers' pool, as Rindle's
//         workers do, so a dead pooled connection handed to it fails the attempt
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "oban/db/connection.hpp"
#include "oban/worker.hpp"

namespace fault {

constexpr const char* kQueue = "fault";
constexpr const char* kWorkerName = "Fault.CountingWorker";
constexpr int kMaxAttempts = 3;

class CountingWorker final : public oban::Worker {
 public:
  std::string name() const override { return kWorkerName; }
  oban::WorkerOptions options() const override;
  oban::JobResult perform(oban::JobContext& context) override;
  // 1 s, so a scripted failure is retried within the scenario.
  std::int64_t backoff(const oban::Job& job) const override;

  // The pool "db" runs use; set before the node starts.
  void use_pool(oban::db::ConnectionPool* pool) { pool_.store(pool); }

  int runs(std::int64_t id) const;
  std::map<std::int64_t, int> all_runs() const;
  int total_runs() const;
  int running_now() const { return running_.load(); }

 private:
  std::atomic<oban::db::ConnectionPool*> pool_{nullptr};
  std::atomic<int> running_{0};
  mutable std::mutex mutex_;
  std::map<std::int64_t, int> runs_;  // guarded by mutex_
};

// What a job of each mode should end with when nothing went wrong around it.
struct Expected {
  int runs = 1;
  int errors = 0;    // errors entries its own runs wrote
  int snoozes = 0;   // max_attempts grows by one per snooze (Oban 2.23.1)
};
Expected expected_for(const std::string& mode);

}  // namespace fault
