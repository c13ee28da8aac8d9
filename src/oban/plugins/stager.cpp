#include "oban/plugins/stager.hpp"

#include <spdlog/spdlog.h>

#include "oban/db/job_row.hpp"
#include "oban/json/json_writer.hpp"

namespace oban::plugins {

Stager::Stager(StagerConfig config, db::ConnectionPool& pool, const Clock& clock, LeaderCheck is_leader,
               AvailableHandler on_available)
    : config_(std::move(config)),
      pool_(pool),
      clock_(clock),
      is_leader_(std::move(is_leader)),
      on_available_(std::move(on_available)),
      store_(config_.prefix) {}

Stager::~Stager() { stop(); }

StageResult Stager::run_once() {
  StageResult result;
  result.leader = !is_leader_ || is_leader_();
  if (!result.leader) return result;
  auto lease = pool_.acquire();
  pqxx::work tx{*lease};
  result.staged = store_.stage_jobs(tx, clock_.now(), config_.limit);
  result.available_queues = store_.check_available(tx);
  if (config_.notify) {
    std::vector<std::string> payloads;
    for (const auto& queue : result.available_queues) payloads.push_back(json::ObjectWriter{}.add("queue", queue).str());
    db::notify(tx, config_.prefix, "insert", payloads);
  }
  tx.commit();
  if (!result.staged.empty()) spdlog::debug("stager.staged count={}", result.staged.size());
  return result;
}

void Stager::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void Stager::stop() noexcept {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Stager::loop() {
  std::unique_lock lock{mutex_};
  while (!stopping_) {
    lock.unlock();
    try {
      auto result = run_once();
      if (result.leader && on_available_ && !result.available_queues.empty()) on_available_(result.available_queues);
    } catch (const std::exception& e) {
      spdlog::warn("stager.failed error=\"{}\"", e.what());
    }
    lock.lock();
    cv_.wait_for(lock, config_.interval, [&] { return stopping_; });
  }
}

}  // namespace oban::plugins
