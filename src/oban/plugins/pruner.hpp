#pragma once
// Oban's Pruner plugin (oban-protocol.md sections 3 and 10): the leader deletes finished
// jobs older than max_age, at most `limit` per run: over the whole table, as Oban does, or
// only the jobs of some workers (a node beside an Elixir cluster leaves the rest alone).
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "oban/core/clock.hpp"
#include "oban/db/maintenance_store.hpp"
#include "oban/plugins/plugin.hpp"

namespace oban::db {
class ConnectionPool;
}

namespace oban::plugins {

struct PrunerConfig {
  std::string prefix = "public";              // schema holding oban_jobs
  std::chrono::milliseconds interval{30000};  // time between runs
  std::int64_t limit = 10000;                 // most jobs deleted per run
  std::chrono::seconds max_age{60};           // finished jobs older than this are deleted
  db::WorkerScope workers;                    // whose jobs; nullopt = every job (Oban's scope)
};

class Pruner final : public Plugin {
 public:
  // Throws std::invalid_argument for a non-positive interval, limit or max_age (Oban
  // requires a positive max_age too).
  Pruner(db::ConnectionPool& pool, PrunerConfig config, const Clock& clock);

  // One prune_jobs, regardless of leadership. Returns the deleted jobs. Throws on DB errors.
  std::vector<db::JobSummary> run_once();

  std::string name() const override { return "Oban.Plugins.Pruner"; }
  PluginReport run() override;  // {"pruned_count": n, "pruned_jobs": [{id, queue, state}]}
  std::chrono::milliseconds next_delay() const override { return config_.interval; }
  const PrunerConfig& config() const { return config_; }

 private:
  db::ConnectionPool& pool_;
  const PrunerConfig config_;
  const Clock& clock_;
};

}  // namespace oban::plugins
