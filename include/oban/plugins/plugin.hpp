#pragma once
// The one shape of every plugin (Stager, Cron, Pruner, Lifeline, and whatever joins them,
// through Node::add_plugin): a run() that does the work and reports it, and the delay until
// the next run. The node schedules it on its loop primitive, asks leadership, and reports
// each run as Oban's plugin telemetry ("plugin:start" / "plugin:stop" / "plugin:exception",
// with "plugin" set to the plugin's Oban name and the run's report merged into the metadata).
#include <chrono>
#include <string>

#include "oban/core/telemetry.hpp"
#include "oban/core/value.hpp"

namespace oban::plugins {

// What one run did, as Oban's plugin:stop metadata: {"pruned_count": 3},
// {"rescued_jobs": [1], "discarded_jobs": []}, {"jobs": [...]}.
using PluginReport = Value::Object;

class Plugin {
 public:
  virtual ~Plugin() = default;
  // Oban's module name for it, e.g. "Oban.Plugins.Pruner": the "plugin" of its events.
  virtual std::string name() const = 0;
  // One run, reported. Throws on failure (the runner reports plugin:exception).
  virtual PluginReport run() = 0;
  // How long to wait after a run (or after start) before the next one.
  virtual std::chrono::milliseconds next_delay() const = 0;
  // The wait before the first run. Oban's plugins first run one interval after start.
  virtual std::chrono::milliseconds first_delay() const { return next_delay(); }
  // Runs only while this node leads (Oban's leader-only plugins), or everywhere.
  virtual bool leader_only() const { return true; }
  // How loudly the default logger reports each run: info, as Oban does for its plugins;
  // debug for a plugin that runs every second (the Stager).
  virtual telemetry::Level report_level() const { return telemetry::Level::info; }
};

}  // namespace oban::plugins
