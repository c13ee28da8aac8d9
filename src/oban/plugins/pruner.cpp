#include "oban/plugins/pruner.hpp"

#include <stdexcept>

#include "oban/db/connection.hpp"

namespace oban::plugins {
namespace {

PrunerConfig validated(PrunerConfig config) {
  if (config.interval.count() <= 0) throw std::invalid_argument("pruner interval must be positive");
  if (config.limit <= 0) throw std::invalid_argument("pruner limit must be positive");
  if (config.max_age.count() <= 0) throw std::invalid_argument("pruner max_age must be positive");
  return config;
}

}  // namespace

Pruner::Pruner(db::ConnectionPool& pool, PrunerConfig config, const Clock& clock)
    : pool_(pool), config_(validated(std::move(config))), clock_(clock) {}

std::vector<db::JobSummary> Pruner::run_once() {
  auto conn = pool_.acquire();
  pqxx::work tx{*conn};
  auto pruned = db::prune_jobs(tx, config_.prefix, clock_.now(), config_.max_age, config_.limit, config_.workers);
  tx.commit();
  return pruned;
}

PluginReport Pruner::run() {
  const auto pruned = run_once();
  Value::Array jobs;
  for (const auto& job : pruned) {
    jobs.push_back(Value::Object{{"id", job.id}, {"queue", job.queue}, {"state", std::string{to_string(job.state)}}});
  }
  return {{"pruned_count", pruned.size()}, {"pruned_jobs", std::move(jobs)}};
}

}  // namespace oban::plugins
