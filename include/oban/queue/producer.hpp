#pragma once
// One per queue: fetches up to `limit - running` jobs when woken (an insert notification for
// its queue, a job's ack written, a signal, or the poll timer), runs them on the thread pool
// and hands their outcomes to the completer. A job's slot is freed only once its ack is
// written, so it can never be fetched twice by a live node. No transaction stays open while
// a job runs.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "oban/core/clock.hpp"
#include "oban/core/loop_health.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_store.hpp"
#include "oban/queue/completer.hpp"
#include "oban/queue/executor.hpp"
#include "oban/queue/thread_pool.hpp"

namespace oban::queue {

struct ProducerConfig {
  std::string queue = "default";                   // queue this producer serves
  int limit = 10;                                  // most jobs running at once
  bool paused = false;                             // start paused
  std::string node;                                // attempted_by[1]
  std::string uuid;                                // attempted_by[2]; empty = random v4
  std::chrono::milliseconds poll_interval{1000};   // fetch at least this often
  bool only_registered_workers = true;             // fetch only registered workers' jobs
};

// A random UUID v4, lowercase and hyphenated.
std::string random_uuid();

// A producer's state as Oban's check_queue/1 returns it (and oban_met gossips it).
struct ProducerCheck {
  std::string queue;
  std::string node;
  std::string uuid;
  int limit = 0;
  bool paused = false;
  std::vector<std::int64_t> running;               // ids of the jobs whose perform runs here
  Timestamp started_at{};
  Timestamp updated_at{};                          // start, then each signal that changed it
  std::optional<Timestamp> shutdown_started_at;    // set (and paused) once stop() began
  std::chrono::milliseconds refresh_interval{60000};
  bool local_only = false;                         // a scale signal sent with local_only: true
};

class Producer {
 public:
  Producer(ProducerConfig config, db::ConnectionPool& pool, const db::JobStore& store, const Executor& executor,
           const WorkerRegistry& registry, Completer& completer, ThreadPool& threads,
           const Clock& clock = SystemClock::instance());
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  void start();
  // Stops fetching, waits up to `grace` for running jobs and their acks, then leaves the
  // rest executing (their stop tokens are requested; the Lifeline rescues them). Idempotent.
  void stop(std::chrono::milliseconds grace) noexcept;

  // Wakeups and signals; all are cheap and thread-safe.
  void wake();
  void pause();
  void resume();
  // A scale signal; `local_only` is kept in the check as Oban keeps the signal's keys.
  void scale(int limit, bool local_only = false);
  // Cancels a job running here (stop token requested, acked cancelled with
  // {:cancel, :shutdown}). False when the job is not running here.
  bool pkill(std::int64_t job_id);

  const std::string& queue() const { return config_.queue; }
  const std::string& uuid() const { return config_.uuid; }
  int limit() const;
  bool paused() const;
  int running() const;       // jobs fetched whose ack is not written yet
  std::uint64_t fetches() const;  // fetch statements sent, for tests and metrics
  bool fetching() const;          // a fetch is in flight (one started before a pause still lands)
  ProducerCheck check() const;
  // The fetch loop's heartbeat, for the node's liveness check.
  core::LoopHealth health() const;

 private:
  struct Run;
  void loop();
  void fetch(std::unique_lock<std::mutex>& lock);
  void launch(const std::shared_ptr<Run>& run);
  void finish(const std::shared_ptr<Run>& run, const Execution& execution);
  void expire_timeouts();
  std::optional<std::chrono::steady_clock::time_point> next_deadline() const;
  void acked(std::int64_t id);
  void performed(std::int64_t id);

  ProducerConfig config_;
  db::ConnectionPool& pool_;
  const db::JobStore& store_;
  const Executor& executor_;
  const WorkerRegistry& registry_;
  Completer& completer_;
  ThreadPool& threads_;
  const Clock& clock_;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable cv_;
  std::map<std::int64_t, std::shared_ptr<Run>> running_;
  // Ids in running_ whose perform returned and whose ack is with the completer: they no
  // longer hold one of the limit's slots, so the next fetch overlaps their ack write.
  std::set<std::int64_t> performed_;
  int limit_;
  bool paused_;
  bool wake_ = true;       // a fetch is wanted
  bool draining_ = false;  // stop() called: no more fetching
  bool stopping_ = false;  // the loop should end
  int failures_ = 0;       // consecutive fetch failures, for backoff
  std::uint64_t fetches_ = 0;
  bool fetching_ = false;
  Timestamp started_at_{};
  Timestamp updated_at_{};
  std::optional<Timestamp> shutdown_started_at_;
  bool local_only_ = false;
  std::atomic<bool> looping_{false};
  std::atomic<bool> in_step_{false};  // a fetch is talking to the database
  std::atomic<std::chrono::steady_clock::time_point> last_beat_{std::chrono::steady_clock::now()};
  std::thread thread_;
};

}  // namespace oban::queue
