#pragma once
// Says when other nodes eat this node's jobs. An Elixir node that serves one of this node's
// queues but no longer has a worker's module fetches that worker's jobs too (Elixir has no
// worker filter) and fails them with `** (RuntimeError) unknown worker: <Worker>`, spending
// an attempt (a max_attempts 1 job is discarded at once). This node cannot stop that fetch;
// this plugin finds such failures of its own workers written by other nodes and reports them
// as one "unknown_worker:failures" warning per worker, naming the nodes and the counts, at
// most once per `report_every`.
//
// Not leader-only: every node watches its own workers (which differ from node to node, and
// a node need not lead, or take part in an election at all), so the warning is in the log
// of the node whose jobs are lost. The query reads only retryable and discarded rows.
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "oban/core/clock.hpp"
#include "oban/plugins/plugin.hpp"

namespace oban::db {
class ConnectionPool;
}

namespace oban::plugins {

struct UnknownWorkerWatchConfig {
  std::string prefix = "public";              // schema holding oban_jobs
  std::string node;                           // this node: rows it attempted last are not reported
  std::vector<std::string> workers;           // this node's workers
  // Between checks. Under Oban's minimum backoff (17 s), so a retryable row is seen before
  // its next attempt replaces the evidence (attempted_by, attempt).
  std::chrono::milliseconds interval{10000};
  std::chrono::milliseconds report_every{60000};  // at most one warning per worker this often
  // How far back failed attempts are looked for: other nodes' clocks set attempted_at, so a
  // generous window keeps a skewed clock from hiding a failure; each is counted once.
  std::chrono::milliseconds lookback{15 * 60 * 1000};
};

// node -> failures it wrote
using NodeCounts = std::map<std::string, std::int64_t>;

struct UnknownWorkerCheck {
  std::int64_t new_failures = 0;               // failures first seen in this check
  std::map<std::string, NodeCounts> reported;  // worker -> nodes, when this check warned
};

class UnknownWorkerWatch final : public Plugin {
 public:
  // Throws std::invalid_argument for a non-positive interval, report_every or lookback.
  UnknownWorkerWatch(db::ConnectionPool& pool, UnknownWorkerWatchConfig config, const Clock& clock);

  // One check, regardless of leadership; emits the warnings when due. Throws on DB errors.
  UnknownWorkerCheck run_once();

  std::string name() const override { return "UnknownWorkerWatch"; }
  PluginReport run() override;  // {"new_failures": n, "reported_workers": [...]}
  std::chrono::milliseconds next_delay() const override { return config_.interval; }
  std::chrono::milliseconds first_delay() const override { return std::chrono::milliseconds{0}; }
  bool leader_only() const override { return false; }
  telemetry::Level report_level() const override { return telemetry::Level::debug; }

 private:
  db::ConnectionPool& pool_;
  const UnknownWorkerWatchConfig config_;
  const Clock& clock_;
  // Attempts already counted, (id, attempt) -> attempted_at, kept while inside the lookback.
  std::map<std::pair<std::int64_t, int>, Timestamp> seen_;
  std::map<std::string, NodeCounts> pending_;  // counted, not yet reported
  std::optional<Timestamp> last_report_;
};

}  // namespace oban::plugins
