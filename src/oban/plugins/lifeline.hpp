#pragma once
// Oban's Lifeline plugin (oban-protocol.md sections 3 and 10): the leader rescues jobs left
// `executing` longer than rescue_after (orphans of crashed or killed nodes). Purely time
// based: a job really still running past rescue_after is rescued and can run twice. Over the
// whole table, as Oban does, or only the jobs of some workers.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "oban/core/clock.hpp"
#include "oban/db/maintenance_store.hpp"
#include "oban/plugins/plugin.hpp"

namespace oban::db {
class ConnectionPool;
}

namespace oban::plugins {

struct LifelineConfig {
  std::string prefix = "public";                        // schema holding oban_jobs
  std::chrono::milliseconds interval{60000};            // time between runs
  std::chrono::milliseconds rescue_after{60 * 60 * 1000};  // executing longer than this is orphaned
  db::WorkerScope workers;                                  // whose jobs; nullopt = every job (Oban's scope)
};

class Lifeline final : public Plugin {
 public:
  // Throws std::invalid_argument for a non-positive interval or rescue_after.
  Lifeline(db::ConnectionPool& pool, LifelineConfig config, const Clock& clock);

  // One rescue_jobs, regardless of leadership, plus an insert notification for each queue
  // that got jobs back, in the same transaction. Throws on DB errors.
  db::RescueResult run_once();

  std::string name() const override { return "Oban.Plugins.Lifeline"; }
  PluginReport run() override;  // {"rescued_jobs": [ids], "discarded_jobs": [ids]}
  std::chrono::milliseconds next_delay() const override { return config_.interval; }
  const LifelineConfig& config() const { return config_; }

 private:
  db::ConnectionPool& pool_;
  const LifelineConfig config_;
  const Clock& clock_;
};

}  // namespace oban::plugins
