#pragma once
// Oban's Pruner plugin (oban-protocol.md sections 3 and 10): the leader deletes finished
// jobs older than max_age, at most `limit` per run.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "oban/core/clock.hpp"
#include "oban/db/maintenance_store.hpp"

namespace oban::db {
class ConnectionPool;
}
namespace oban::core {
class TimerLoop;
}

namespace oban::plugins {

struct PrunerConfig {
  std::string prefix = "public";              // schema holding oban_jobs
  std::chrono::milliseconds interval{30000};  // time between runs
  std::int64_t limit = 10000;                 // most jobs deleted per run
  std::chrono::seconds max_age{60};           // finished jobs older than this are deleted
};

class Pruner {
 public:
  // `is_leader` is asked before every timed run; only the leader prunes.
  // Throws std::invalid_argument for a non-positive interval or limit, or a negative max_age.
  Pruner(db::ConnectionPool& pool, PrunerConfig config, const Clock& clock, std::function<bool()> is_leader);
  ~Pruner();  // stop()
  Pruner(const Pruner&) = delete;
  Pruner& operator=(const Pruner&) = delete;

  // One prune_jobs, regardless of leadership. Returns the deleted jobs. Throws on DB errors.
  std::vector<db::JobSummary> run_once();

  // Runs every interval (the first after one interval, as Oban) while is_leader() says so.
  void start();
  void stop() noexcept;  // idempotent

 private:
  db::ConnectionPool& pool_;
  const PrunerConfig config_;
  const Clock& clock_;
  const std::function<bool()> is_leader_;
  std::unique_ptr<core::TimerLoop> loop_;
};

}  // namespace oban::plugins
