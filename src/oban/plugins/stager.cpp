#include "oban/plugins/stager.hpp"

#include "oban/db/job_row.hpp"
#include "oban/db/notification.hpp"
#include "oban/json/json_writer.hpp"

namespace oban::plugins {

Stager::Stager(StagerConfig config, db::ConnectionPool& pool, const Clock& clock, AvailableHandler on_available)
    : config_(std::move(config)), pool_(pool), clock_(clock), on_available_(std::move(on_available)), store_(config_.prefix) {}

StageResult Stager::run_once() {
  StageResult result;
  auto lease = pool_.acquire();
  pqxx::work tx{*lease};
  {
    telemetry::Span span{"engine:stage_jobs", {{"prefix", config_.prefix}}};
    try {
      result.staged = store_.stage_jobs(tx, clock_.now(), config_.limit);
      span.add("count", result.staged.size());
    } catch (const std::exception& error) {
      span.stop_with_error("error", error.what());
      throw;
    }
  }
  result.available_queues = store_.check_available(tx);
  if (config_.notify && !local_) {
    std::vector<std::string> payloads;
    for (const auto& queue : result.available_queues) payloads.push_back(json::ObjectWriter{}.add("queue", queue).str());
    db::notify(tx, config_.prefix, "insert", payloads);
  }
  tx.commit();
  return result;
}

void Stager::follow(std::function<core::Connectivity()> connectivity, std::function<bool()> is_leader,
                    std::string node) {
  connectivity_ = std::move(connectivity);
  is_leader_ = std::move(is_leader);
  node_ = std::move(node);
}

bool Stager::leads() const { return !is_leader_ || is_leader_(); }

void Stager::update_mode() {
  if (!connectivity_) return;
  bool local = local_;
  switch (connectivity_()) {
    case core::Connectivity::clustered: local = false; break;
    case core::Connectivity::isolated: local = true; break;
    case core::Connectivity::solitary: local = !leads(); break;
    case core::Connectivity::unknown: break;
  }
  if (local_.exchange(local) == local) return;
  telemetry::emit("stager:switch", telemetry::Level::info,
                  {{"mode", local ? "local" : "global"}, {"prefix", config_.prefix}, {"node", node_}});
}

PluginReport Stager::run() {
  update_mode();
  const char* mode = local_ ? "local" : "global";
  if (!leads()) return {{"leader", false}, {"mode", mode}, {"staged_count", 0}};
  auto result = run_once();
  if (on_available_ && !result.available_queues.empty()) on_available_(result.available_queues);
  return {{"leader", true},
          {"mode", mode},
          {"staged_count", result.staged.size()},
          {"available_queues", result.available_queues}};
}

}  // namespace oban::plugins
