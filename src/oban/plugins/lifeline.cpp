#include "oban/plugins/lifeline.hpp"

#include <set>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "oban/core/timer_loop.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_row.hpp"
#include "oban/json/json_writer.hpp"

namespace oban::plugins {
namespace {

LifelineConfig validated(LifelineConfig config) {
  if (config.interval.count() <= 0) throw std::invalid_argument("lifeline interval must be positive");
  if (config.rescue_after.count() <= 0) throw std::invalid_argument("lifeline rescue_after must be positive");
  return config;
}

}  // namespace

Lifeline::Lifeline(db::ConnectionPool& pool, LifelineConfig config, const Clock& clock,
                   std::function<bool()> is_leader)
    : pool_(pool), config_(validated(std::move(config))), clock_(clock), is_leader_(std::move(is_leader)) {
  loop_ = std::make_unique<core::TimerLoop>(
      "lifeline", [this] { return config_.interval; },
      [this] {
        if (is_leader_ && is_leader_()) run_once();
      },
      /*tick_at_start=*/false);
}

Lifeline::~Lifeline() { stop(); }

db::RescueResult Lifeline::run_once() {
  auto conn = pool_.acquire();
  pqxx::work tx{*conn};
  auto result = db::rescue_jobs(tx, config_.prefix, clock_.now(), config_.rescue_after);
  // Wake the producers of the queues that got jobs back. Oban sends nothing here: its
  // leader's Stager notifies every queue with available jobs within a second anyway, but
  // the C++ leader may not run a stager, and an extra {"queue":...} costs nothing.
  std::set<std::string> queues;
  for (const auto& job : result.rescued) queues.insert(job.queue);
  std::vector<std::string> payloads;
  for (const auto& queue : queues) payloads.push_back(json::ObjectWriter{}.add("queue", queue).str());
  db::notify(tx, config_.prefix, "insert", payloads);
  tx.commit();
  if (!result.rescued.empty() || !result.discarded.empty()) {
    spdlog::info("lifeline_rescued prefix={} rescued_count={} discarded_count={}", config_.prefix,
                 result.rescued.size(), result.discarded.size());
  }
  return result;
}

void Lifeline::start() { loop_->start(); }

void Lifeline::stop() noexcept { loop_->stop(); }

}  // namespace oban::plugins
