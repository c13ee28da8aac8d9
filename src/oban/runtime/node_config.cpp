#include "oban/runtime/node_config.hpp"

#include <stdexcept>

namespace oban {
namespace {

double seconds(std::chrono::milliseconds duration) { return static_cast<double>(duration.count()) / 1000.0; }

}  // namespace

std::vector<std::string> NodeConfig::validate() const {
  std::vector<std::string> problems;
  if (dsn.empty()) problems.push_back("no database: set DATABASE_URL");
  if (prefix.empty()) problems.push_back("prefix must not be empty");
  if (node.empty() || node.find_first_of(" \t\r\n") != std::string::npos) {
    problems.push_back("node name must be non-empty without whitespace");
  }
  for (const auto& [queue, limit] : queues) {
    if (queue.empty() || queue.size() > 127) problems.push_back("queue name '" + queue + "' must be 1..127 characters");
    if (limit <= 0) problems.push_back("queue " + queue + " needs a limit above 0");
  }
  if (poll_interval.count() <= 0) problems.push_back("poll interval must be positive");
  if (dispatch_cooldown.count() < 0) problems.push_back("dispatch cooldown must not be negative");
  if (peer_name.empty()) problems.push_back("peer name must not be empty");
  for (auto& problem : notifier.validate()) problems.push_back(std::move(problem));
  if (cron_delay.count() < 0 || cron_delay >= std::chrono::minutes{1}) {
    problems.push_back("cron delay must be at least 0 s and under 60 s");
  }
  if (prune_max_age.count() <= 0) problems.push_back("pruner max_age must be positive");
  if (prune_limit <= 0) problems.push_back("pruner limit must be positive");
  if (prune_interval.count() <= 0) problems.push_back("pruner interval must be positive");
  if (rescue_after.count() <= 0) problems.push_back("lifeline rescue_after must be positive");
  if (rescue_interval.count() <= 0) problems.push_back("lifeline interval must be positive");
  if (sonar_min_interval.count() <= 0 || sonar_max_interval < sonar_min_interval) {
    problems.push_back("sonar intervals must be positive, the longest at least the shortest");
  }
  if (gossip_interval.count() <= 0) problems.push_back("gossip interval must be positive");
  return problems;
}

Value::Object plugin_settings(const NodeConfig& config, const std::vector<std::string>& workers) {
  const bool whole_table = config.joins_elixir_election();
  const Value scope = whole_table ? Value{"all jobs"} : Value{workers};
  Value::Object pruner{{"enabled", config.pruner_enabled()}};
  if (config.pruner_enabled()) {
    pruner["max_age_s"] = static_cast<long>(config.prune_max_age.count());
    pruner["limit"] = config.prune_limit;
    pruner["interval_s"] = seconds(config.prune_interval);
    pruner["workers"] = scope;
  }
  Value::Object lifeline{{"enabled", config.lifeline_enabled()}};
  if (config.lifeline_enabled()) {
    lifeline["rescue_after_s"] = seconds(config.rescue_after);
    lifeline["interval_s"] = seconds(config.rescue_interval);
    lifeline["workers"] = scope;
  }
  Value::Array crontab;
  for (const auto& entry : config.crontab) crontab.push_back(entry.expression + " " + entry.worker);
  return {
      {"peer", config.peer_name},
      {"leadership", config.leadership},
      {"joins_elixir_election", whole_table},
      {"pruner", std::move(pruner)},
      {"lifeline", std::move(lifeline)},
      {"cron", Value::Object{{"entries", std::move(crontab)},
                             {"delay_s", seconds(config.cron_delay)},
                             {"timezone", config.cron_timezone}}},
      // Staging is the same pure function of time on every leader (scheduled_at <= now).
      {"stager", Value::Object{{"interval_s", seconds(config.stage_interval)}, {"workers", "all jobs"}}},
      {"unknown_worker_watch", config.unknown_worker_watch},
  };
}

}  // namespace oban
