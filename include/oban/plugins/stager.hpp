#pragma once
// Oban's Stager in global mode: on the leader, every tick, make due scheduled/retryable jobs
// available and send `insert` {"queue": q} for every queue with available jobs, which is
// the cluster-wide poll Elixir producers rely on. A plugin (leader only) around run_once().
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_store.hpp"
#include "oban/plugins/plugin.hpp"

namespace oban::plugins {

struct StagerConfig {
  std::string prefix = "public";                 // schema holding oban_jobs
  std::chrono::milliseconds interval{1000};      // tick
  int limit = 5000;                              // jobs staged per tick at most
  bool notify = true;                            // send `insert` notifications (global mode)
};

struct StageResult {
  std::vector<db::StagedJob> staged;             // jobs made available
  std::vector<std::string> available_queues;     // queues with available jobs (all notified)
};

class Stager final : public Plugin {
 public:
  // Called after each run with the queues that have available jobs, for in-process wakeups.
  using AvailableHandler = std::function<void(const std::vector<std::string>& queues)>;

  Stager(StagerConfig config, db::ConnectionPool& pool, const Clock& clock = SystemClock::instance(),
         AvailableHandler on_available = {});

  // One tick, regardless of leadership: stage_jobs, check_available and the notifications
  // in one transaction.
  StageResult run_once();

  std::string name() const override { return "Oban.Stager"; }
  PluginReport run() override;  // {"staged_count": n, "available_queues": [...]}, then the wakeups
  std::chrono::milliseconds next_delay() const override { return config_.interval; }
  std::chrono::milliseconds first_delay() const override { return std::chrono::milliseconds{0}; }
  telemetry::Level report_level() const override { return telemetry::Level::debug; }

 private:
  StagerConfig config_;
  db::ConnectionPool& pool_;
  const Clock& clock_;
  AvailableHandler on_available_;
  db::JobStore store_;
};

}  // namespace oban::plugins
