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
  result.staged = store_.stage_jobs(tx, clock_.now(), config_.limit);
  result.available_queues = store_.check_available(tx);
  if (config_.notify) {
    std::vector<std::string> payloads;
    for (const auto& queue : result.available_queues) payloads.push_back(json::ObjectWriter{}.add("queue", queue).str());
    db::notify(tx, config_.prefix, "insert", payloads);
  }
  tx.commit();
  return result;
}

PluginReport Stager::run() {
  auto result = run_once();
  if (on_available_ && !result.available_queues.empty()) on_available_(result.available_queues);
  return {{"staged_count", result.staged.size()}, {"available_queues", result.available_queues}};
}

}  // namespace oban::plugins
