#pragma once
// One per queue: fetches jobs when woken (an insert notification for its queue, a slot
// freed, a signal, or the poll timer), runs them on the thread pool and hands their
// outcomes to the completer. No transaction stays open while a job runs.
//
// Fetching: each fetch is one autocommit statement. Oban's dispatch cooldown is kept where
// waiting can make a fetch bigger, and only there: after a fetch that came back full (jobs
// are waiting) a fetch for less than the whole limit waits until the cooldown has passed
// since the last fetch ended. After a short fetch (the queue was empty) the next insert or
// freed slot fetches at once. While jobs wait, a second fetch may run beside the first
// (two lanes, each a loop of its own), for at least half the limit.
//
// Bounds:
// - at most `limit` performs run at once; a slot is held until perform returns, even after
//   a timeout or a pkill decided the job's ack (a thread that cannot be stopped still counts).
//   A fetch in flight holds the slots it asked for, so two fetches never bring more than fit;
// - at most max_held(limit) = limit + max(limit, 100) rows are held `executing` (performs
//   running + acks not yet written): slow or refused acks slow fetching instead of piling
//   up. The headroom lets a healthy commit's latency overlap the next fetches.
// After a fetch that may have committed without its answer arriving (a lost connection),
// the producer reads back the rows `executing` under its own [node, uuid] that it is not
// running and runs those that fit its demand, releasing the rest: none is left for the
// Lifeline.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "oban/core/clock.hpp"
#include "oban/core/timer_loop.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_store.hpp"
#include "oban/queue/completer.hpp"
#include "oban/queue/executor.hpp"
#include "oban/queue/job_run.hpp"
#include "oban/queue/thread_pool.hpp"

namespace oban::queue {

struct ProducerConfig {
  std::string queue = "default";                   // queue this producer serves
  int limit = 10;                                  // most jobs running at once
  bool paused = false;                             // start paused
  std::string node;                                // attempted_by[1]
  std::string uuid;                                // attempted_by[2]; empty = random v4
  std::chrono::milliseconds poll_interval{1000};   // fetch at least this often
  std::chrono::milliseconds dispatch_cooldown{5};  // Oban's: least time between small fetches while jobs wait
  bool only_registered_workers = true;             // fetch only registered workers' jobs
};

// A random UUID v4, lowercase and hyphenated.
std::string random_uuid();

// The most rows a producer of `limit` holds executing: `limit` performs plus acks not yet
// written, at least kAckHeadroom of them (one ack round trip at a small limit's fetch rate).
inline constexpr int kAckHeadroom = 100;
int max_held(int limit);

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
  Producer(ProducerConfig config, std::shared_ptr<db::ConnectionPool> pool, std::shared_ptr<const db::JobStore> store,
           const Executor& executor, const WorkerRegistry& registry, Completer& completer, ThreadPool& threads,
           const Clock& clock = SystemClock::instance());
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  void start();
  // Shutdown, in three calls so that many producers drain in parallel. begin_stop() pauses
  // and stops fetching, at once. await_grace() waits for a fetch in flight (whose jobs are
  // released, not run), then until `grace` for running jobs and their acks, and reports the
  // jobs still running then as Oban does ("queue:shutdown", their ids as "orphaned"); the
  // check still shows them running. finish_stop() asks those performs to stop (their stop
  // tokens) and waits until `hard` for them to return; then gives up on the rest: their rows
  // are released (available again, the attempt not counted, "queue:released") and their
  // threads, which cannot be killed, touch nothing of the producer. It returns how many
  // performs it gave up on. All idempotent; finish_stop() awaits the grace if not done yet.
  void begin_stop() noexcept;
  void await_grace(std::chrono::steady_clock::time_point grace) noexcept;
  std::size_t finish_stop(std::chrono::steady_clock::time_point hard) noexcept;
  void stop(std::chrono::milliseconds grace, std::chrono::milliseconds hard = std::chrono::milliseconds{0}) noexcept;

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
  int running() const;     // rows held executing: performs running + acks not written yet
  int performing() const;  // performs running (slots in use), timed-out or pkilled ones included
  std::uint64_t fetches() const;  // fetch statements sent, for tests and metrics
  std::uint64_t overlapped_fetches() const;  // of which sent while another was in flight
  bool fetching() const;          // a fetch is in flight (one started before a pause still lands)
  std::size_t stragglers() const;  // performs given up on at stop that have not returned yet
  ProducerCheck check() const;
  std::vector<core::LoopHealth> health() const;  // each lane's, for the node's liveness check

 private:
  struct Slot {
    std::shared_ptr<JobRun> run;
    bool returned = false;  // perform returned (or never started)
    bool acked = false;     // its ack is resolved
    bool timed_out = false; // its worker timeout fired (the run's deadline never changes)
  };
  static constexpr std::size_t kLanes = 2;  // fetches in flight at most
  std::chrono::steady_clock::duration step(std::size_t lane);
  int demand() const;  // called with mutex_ held
  // How many jobs to fetch now, 0 for no fetch now (called with mutex_ held).
  int fetch_demand(std::chrono::steady_clock::time_point now) const;
  // Wakes an idle lane if a fetch could start now; unlocks `lock`.
  void wake_lane(std::unique_lock<std::mutex>& lock);
  void fetch(std::unique_lock<std::mutex>& lock, std::size_t lane, int demand);
  void reconcile(std::unique_lock<std::mutex>& lock, std::size_t lane, bool adopt);
  std::shared_ptr<JobRun> make_run(Job job) const;
  // Holds `runs` (mutex_ held through `lock`) and starts them, the lock released meanwhile;
  // with run_them false gives them back at once instead.
  void start(std::unique_lock<std::mutex>& lock, std::vector<std::shared_ptr<JobRun>> runs, bool run_them);
  bool launch(const std::shared_ptr<JobRun>& run);  // false: no thread took it
  // Decides the run's ack (caller holds run->mutex and has set run->decided).
  void submit(const std::shared_ptr<JobRun>& run, const Execution& execution);
  // Gives the row back untouched; `ran` is set when perform ran (for job:stop). The caller
  // holds run->mutex (or owns the run alone).
  void release(const std::shared_ptr<JobRun>& run, const std::optional<Execution>& ran = std::nullopt);
  void performed(const std::shared_ptr<JobRun>& run, const Execution& execution);  // caller holds run->mutex
  void acked(std::int64_t id);
  void expire_timeouts();
  std::vector<std::shared_ptr<JobRun>> performing_runs() const;  // called with mutex_ held

  ProducerConfig config_;
  std::shared_ptr<db::ConnectionPool> pool_;
  std::shared_ptr<const db::JobStore> store_;
  const Executor& executor_;
  const WorkerRegistry& registry_;
  Completer& completer_;
  ThreadPool& threads_;
  const Clock& clock_;
  // Performs given up on at stop and still running; shared with their threads.
  std::shared_ptr<std::atomic<std::size_t>> stragglers_ = std::make_shared<std::atomic<std::size_t>>(0);

  mutable std::mutex mutex_;  // guards everything below; never taken before a run's mutex
  std::condition_variable changed_;  // a slot freed, an ack resolved, a fetch ended
  std::map<std::int64_t, Slot> slots_;  // every row held executing
  int performing_ = 0;                  // slots whose perform has not returned
  int limit_;
  bool paused_;
  bool wanted_ = true;      // a fetch is wanted (a wake, a freed slot, a full fetch, the poll)
  bool woken_ = false;      // a wake, the poll, resume or scale since the last fetch began: new jobs may be there
  bool backlog_ = false;    // the last fetch came back full: jobs are likely waiting
  bool draining_ = false;   // begin_stop() called: no more fetching
  bool graced_ = false;     // await_grace() done
  bool finished_ = false;   // finish_stop() done
  int in_flight_ = 0;       // fetches (or a reconcile) in flight
  int reserved_ = 0;        // jobs the fetches in flight asked for
  bool lane_busy_[kLanes] = {false, false};
  bool reconcile_ = false;  // a fetch may have committed unseen: read our rows back
  int failures_ = 0;        // consecutive fetch failures, for backoff
  std::uint64_t fetches_ = 0;
  std::uint64_t overlapped_fetches_ = 0;
  std::chrono::steady_clock::time_point next_poll_{};
  std::chrono::steady_clock::time_point retry_at_{};        // backoff after a failure: no fetch before
  std::chrono::steady_clock::time_point last_fetch_end_{};  // the cooldown counts from here
  Timestamp started_at_{};
  Timestamp updated_at_{};
  std::optional<Timestamp> shutdown_started_at_;
  bool local_only_ = false;
  std::unique_ptr<core::TimerLoop> lanes_[kLanes];  // last: stopped before the members they use go
};

}  // namespace oban::queue
