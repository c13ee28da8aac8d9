#pragma once
// Oban's Lifeline plugin (oban-protocol.md sections 3 and 10): the leader rescues jobs left
// `executing` longer than rescue_after (orphans of crashed or killed nodes). Purely time
// based: a job really still running past rescue_after is rescued and can run twice.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "oban/core/clock.hpp"
#include "oban/db/maintenance_store.hpp"

namespace oban::db {
class ConnectionPool;
}
namespace oban::core {
class TimerLoop;
}

namespace oban::plugins {

struct LifelineConfig {
  std::string prefix = "public";                        // schema holding oban_jobs
  std::chrono::milliseconds interval{60000};            // time between runs
  std::chrono::milliseconds rescue_after{60 * 60 * 1000};  // executing longer than this is orphaned
};

class Lifeline {
 public:
  // `is_leader` is asked before every timed run; only the leader rescues.
  // Throws std::invalid_argument for a non-positive interval or rescue_after.
  Lifeline(db::ConnectionPool& pool, LifelineConfig config, const Clock& clock, std::function<bool()> is_leader);
  ~Lifeline();  // stop()
  Lifeline(const Lifeline&) = delete;
  Lifeline& operator=(const Lifeline&) = delete;

  // One rescue_jobs, regardless of leadership, plus an insert notification for each queue
  // that got jobs back, in the same transaction. Throws on DB errors.
  db::RescueResult run_once();

  // Runs every interval (the first after one interval, as Oban) while is_leader() says so.
  void start();
  void stop() noexcept;  // idempotent

 private:
  db::ConnectionPool& pool_;
  const LifelineConfig config_;
  const Clock& clock_;
  const std::function<bool()> is_leader_;
  std::unique_ptr<core::TimerLoop> loop_;
};

}  // namespace oban::plugins
