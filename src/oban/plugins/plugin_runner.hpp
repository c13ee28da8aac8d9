#pragma once
// Runs one Plugin on the loop primitive (core::TimerLoop): asks leadership before each run
// of a leader-only plugin, and reports each run as Oban's plugin telemetry (plugin.hpp).
#include <functional>

#include "oban/core/timer_loop.hpp"
#include "oban/plugins/plugin.hpp"

namespace oban::plugins {

class PluginRunner {
 public:
  // `plugin` must outlive the runner. `is_leader` is asked before each run of a leader-only
  // plugin; a non-leader skips the run and waits next_delay().
  PluginRunner(Plugin& plugin, std::function<bool()> is_leader);
  ~PluginRunner();  // stop()
  PluginRunner(const PluginRunner&) = delete;
  PluginRunner& operator=(const PluginRunner&) = delete;

  void start();
  void stop() noexcept;  // idempotent; waits for a run in progress
  void wake();           // run now (when leading)
  const core::TimerLoop& loop() const { return loop_; }

  // One run with its telemetry, as the loop does it; false when skipped (not leader) or
  // failed. For callers that run a plugin outside its schedule (e.g. on gaining leadership).
  bool run_reported();

 private:
  Plugin& plugin_;
  std::function<bool()> is_leader_;
  core::TimerLoop loop_;
};

}  // namespace oban::plugins
