#pragma once
// Oban's Stager: on the leader, every tick, make due scheduled/retryable jobs available and,
// in global mode, send `insert` {"queue": q} for every queue with available jobs, which is
// the cluster-wide poll Elixir producers rely on. A plugin around run_once().
//
// With a connectivity source (the Sonar) it picks its mode as Oban's does each tick:
// clustered -> global, isolated -> local, solitary -> global on the leader and local
// elsewhere, unknown -> unchanged; each change is Oban's "stager:switch" event {"mode"}.
// In local mode the leader stages but sends no notifications (nobody would hear them) and
// only wakes this node's producers; a non-leader in local mode has nothing more to do, as
// our producers poll every poll_interval anyway (what Oban's local mode adds). It then
// runs on every node and asks `is_leader` itself, as Oban's Stager does.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "oban/core/clock.hpp"
#include "oban/core/connectivity.hpp"
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

  // Switches modes from now on by `connectivity` (the Sonar's status), and runs on every
  // node, staging only while `is_leader`. `node` names this node in stager:switch events.
  // Call before the stager's runner starts. Without it: always global, leader only.
  void follow(std::function<core::Connectivity()> connectivity, std::function<bool()> is_leader, std::string node);

  // One tick, regardless of leadership: stage_jobs, check_available and (in global mode)
  // the notifications in one transaction.
  StageResult run_once();

  // Whether it is in local mode now.
  bool local_mode() const { return local_.load(); }

  std::string name() const override { return "Oban.Stager"; }
  // {"leader", "mode", "staged_count", "available_queues"}, then the wakeups.
  PluginReport run() override;
  // With its own is_leader it runs everywhere (to keep its mode), else only on the leader.
  bool leader_only() const override { return !is_leader_; }
  std::chrono::milliseconds next_delay() const override { return config_.interval; }
  std::chrono::milliseconds first_delay() const override { return std::chrono::milliseconds{0}; }
  telemetry::Level report_level() const override { return telemetry::Level::debug; }

 private:
  StagerConfig config_;
  db::ConnectionPool& pool_;
  const Clock& clock_;
  void update_mode();
  bool leads() const;

  AvailableHandler on_available_;
  std::function<core::Connectivity()> connectivity_;
  std::function<bool()> is_leader_;
  std::string node_;
  db::JobStore store_;
  std::atomic<bool> local_{false};  // Oban starts in global mode
};

}  // namespace oban::plugins
