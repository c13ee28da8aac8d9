#include "oban/plugins/unknown_worker_watch.hpp"

#include <stdexcept>

#include "oban/core/telemetry.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/maintenance_store.hpp"

namespace oban::plugins {
namespace {

// A bound on one check's rows; a larger flood is still reported, counted over later checks.
constexpr std::int64_t kRowsPerCheck = 10000;

UnknownWorkerWatchConfig validated(UnknownWorkerWatchConfig config) {
  if (config.interval.count() <= 0) throw std::invalid_argument("unknown-worker watch interval must be positive");
  if (config.report_every.count() <= 0) throw std::invalid_argument("unknown-worker watch report_every must be positive");
  if (config.lookback.count() <= 0) throw std::invalid_argument("unknown-worker watch lookback must be positive");
  return config;
}

std::string node_list(const NodeCounts& nodes) {
  std::string out;
  for (const auto& [node, count] : nodes) {
    if (!out.empty()) out += ", ";
    out += (node.empty() ? std::string{"(no node)"} : node) + " (" + std::to_string(count) + ")";
  }
  return out;
}

}  // namespace

UnknownWorkerWatch::UnknownWorkerWatch(db::ConnectionPool& pool, UnknownWorkerWatchConfig config, const Clock& clock)
    : pool_(pool), config_(validated(std::move(config))), clock_(clock) {}

UnknownWorkerCheck UnknownWorkerWatch::run_once() {
  UnknownWorkerCheck check;
  if (config_.workers.empty()) return check;
  const auto now = clock_.now();
  const auto since = now - std::chrono::duration_cast<std::chrono::microseconds>(config_.lookback);
  std::vector<db::UnknownWorkerFailure> failures;
  {
    auto conn = pool_.acquire();
    pqxx::read_transaction tx{*conn};
    failures = db::unknown_worker_failures(tx, config_.prefix, config_.workers, config_.node, since, kRowsPerCheck);
  }
  std::erase_if(seen_, [&](const auto& entry) { return entry.second < since; });
  for (const auto& failure : failures) {
    if (!seen_.emplace(std::pair{failure.id, failure.attempt}, failure.attempted_at).second) continue;
    ++pending_[failure.worker][failure.node];
    ++check.new_failures;
  }
  if (pending_.empty() || (last_report_ && now - *last_report_ < config_.report_every)) return check;

  last_report_ = now;
  for (const auto& [worker, nodes] : pending_) {
    std::int64_t count = 0;
    Value::Object by_node;
    for (const auto& [node, n] : nodes) {
      count += n;
      by_node[node] = n;
    }
    telemetry::emit("unknown_worker:failures", telemetry::Level::warning,
                    {{"worker", worker}, {"count", count}, {"nodes", std::move(by_node)}, {"prefix", config_.prefix}},
                    {},
                    std::to_string(count) + " job(s) of " + worker + " failed as `unknown worker` on " +
                        node_list(nodes) +
                        ": a node without this worker serves its queue. Keep the worker on those nodes until none "
                        "of them serves the queue, or move this worker to a queue they do not run.");
  }
  check.reported = std::move(pending_);
  pending_.clear();
  return check;
}

PluginReport UnknownWorkerWatch::run() {
  const auto check = run_once();
  Value::Array workers;
  for (const auto& [worker, nodes] : check.reported) workers.push_back(worker);
  return {{"new_failures", check.new_failures}, {"reported_workers", std::move(workers)}};
}

}  // namespace oban::plugins
