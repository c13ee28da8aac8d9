#pragma once
// Oban's Stager in global mode: on the leader, every tick, make due scheduled/retryable jobs
// available and send `insert` {"queue": q} for every queue with available jobs, which is
// the cluster-wide poll Elixir producers rely on. A thin timer around run_once().
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_store.hpp"

namespace oban::plugins {

struct StagerConfig {
  std::string prefix = "public";                 // schema holding oban_jobs
  std::chrono::milliseconds interval{1000};      // tick
  int limit = 5000;                              // jobs staged per tick at most
  bool notify = true;                            // send `insert` notifications (global mode)
};

struct StageResult {
  bool leader = false;                           // false: nothing was done
  std::vector<db::StagedJob> staged;             // jobs made available
  std::vector<std::string> available_queues;     // queues with available jobs (all notified)
};

class Stager {
 public:
  using LeaderCheck = std::function<bool()>;
  // Called after each tick with the queues that have available jobs, for in-process wakeups.
  using AvailableHandler = std::function<void(const std::vector<std::string>& queues)>;

  Stager(StagerConfig config, db::ConnectionPool& pool, const Clock& clock = SystemClock::instance(),
         LeaderCheck is_leader = {}, AvailableHandler on_available = {});
  ~Stager();
  Stager(const Stager&) = delete;
  Stager& operator=(const Stager&) = delete;

  // One tick: stage_jobs, check_available and the notifications in one transaction.
  StageResult run_once();
  void start();
  void stop() noexcept;

 private:
  void loop();

  StagerConfig config_;
  db::ConnectionPool& pool_;
  const Clock& clock_;
  LeaderCheck is_leader_;
  AvailableHandler on_available_;
  db::JobStore store_;

  std::mutex mutex_;  // guards stopping_
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace oban::plugins
