#include "oban/plugins/pruner.hpp"

#include <stdexcept>

#include <spdlog/spdlog.h>

#include "oban/core/timer_loop.hpp"
#include "oban/db/connection.hpp"

namespace oban::plugins {
namespace {

PrunerConfig validated(PrunerConfig config) {
  if (config.interval.count() <= 0) throw std::invalid_argument("pruner interval must be positive");
  if (config.limit <= 0) throw std::invalid_argument("pruner limit must be positive");
  if (config.max_age.count() < 0) throw std::invalid_argument("pruner max_age must not be negative");
  return config;
}

}  // namespace

Pruner::Pruner(db::ConnectionPool& pool, PrunerConfig config, const Clock& clock, std::function<bool()> is_leader)
    : pool_(pool), config_(validated(std::move(config))), clock_(clock), is_leader_(std::move(is_leader)) {
  loop_ = std::make_unique<core::TimerLoop>(
      "pruner", [this] { return config_.interval; },
      [this] {
        if (is_leader_ && is_leader_()) run_once();
      },
      /*tick_at_start=*/false);
}

Pruner::~Pruner() { stop(); }

std::vector<db::JobSummary> Pruner::run_once() {
  auto conn = pool_.acquire();
  pqxx::work tx{*conn};
  auto pruned = db::prune_jobs(tx, config_.prefix, clock_.now(), config_.max_age, config_.limit);
  tx.commit();
  if (!pruned.empty()) spdlog::info("pruner_pruned prefix={} pruned_count={}", config_.prefix, pruned.size());
  return pruned;
}

void Pruner::start() { loop_->start(); }

void Pruner::stop() noexcept { loop_->stop(); }

}  // namespace oban::plugins
