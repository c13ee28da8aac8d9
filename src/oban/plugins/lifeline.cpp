#include "oban/plugins/lifeline.hpp"

#include <set>
#include <stdexcept>

#include "oban/db/connection.hpp"
#include "oban/db/job_row.hpp"
#include "oban/db/notification.hpp"
#include "oban/json/json_writer.hpp"

namespace oban::plugins {
namespace {

LifelineConfig validated(LifelineConfig config) {
  if (config.interval.count() <= 0) throw std::invalid_argument("lifeline interval must be positive");
  if (config.rescue_after.count() <= 0) throw std::invalid_argument("lifeline rescue_after must be positive");
  return config;
}

}  // namespace

Lifeline::Lifeline(db::ConnectionPool& pool, LifelineConfig config, const Clock& clock)
    : pool_(pool), config_(validated(std::move(config))), clock_(clock) {}

db::RescueResult Lifeline::run_once() {
  auto conn = pool_.acquire();
  pqxx::work tx{*conn};
  auto result = db::rescue_jobs(tx, config_.prefix, clock_.now(), config_.rescue_after, config_.workers);
  // Wake the producers of the queues that got jobs back. Oban sends nothing here: its
  // leader's Stager notifies every queue with available jobs within a second anyway, but
  // the C++ leader may not run a stager, and an extra {"queue":...} costs nothing.
  std::set<std::string> queues;
  for (const auto& job : result.rescued) queues.insert(job.queue);
  std::vector<std::string> payloads;
  for (const auto& queue : queues) payloads.push_back(json::ObjectWriter{}.add("queue", queue).str());
  db::notify(tx, config_.prefix, "insert", payloads);
  tx.commit();
  return result;
}

PluginReport Lifeline::run() {
  const auto result = run_once();
  Value::Array rescued, discarded;
  for (const auto& job : result.rescued) rescued.push_back(job.id);
  for (const auto& job : result.discarded) discarded.push_back(job.id);
  return {{"rescued_jobs", std::move(rescued)}, {"discarded_jobs", std::move(discarded)}};
}

}  // namespace oban::plugins
