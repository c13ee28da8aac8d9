#include "rindle/mux_sync_coordinator.hpp"

#include <spdlog/spdlog.h>

#include "rindle/mux_sync_provider_asset.hpp"
#include "rindle/provider_asset_store.hpp"

namespace rindle {

oban::WorkerOptions MuxSyncCoordinator::options() const {
  oban::WorkerOptions options;
  options.queue = kProviderQueue;
  options.max_attempts = 1;
  return options;
}

CoordinatorRun MuxSyncCoordinator::run_once() {
  const auto& config = services_.config;
  const auto cutoff = services_.clock.now() - config.polling_floor;
  std::vector<std::string> ids;
  {
    auto conn = services_.pool.acquire();
    ids = ProviderAssetStore{services_.schema}.stale_provider_asset_ids(*conn, cutoff, config.polling_batch_size);
  }
  CoordinatorRun run;
  run.rows_scanned = static_cast<int>(ids.size());
  std::vector<oban::NewJob> jobs;
  jobs.reserve(ids.size());
  for (const auto& id : ids) jobs.push_back(provider_asset_job(id));
  try {
    // One batch with per-job uniqueness: a few statements instead of one insert per row.
    for (const auto& result : services_.inserter.insert_all(jobs)) {
      ++(result.conflict ? run.jobs_conflicted : run.jobs_enqueued);
    }
  } catch (const std::exception& e) {
    run.enqueue_errors = run.rows_scanned;
    spdlog::warn("rindle.workers.mux_sync_coordinator.enqueue_errors count={} error=\"{}\"", run.enqueue_errors,
                 e.what());
  }
  spdlog::info(
      "rindle.workers.mux_sync_coordinator.completed rows_scanned={} jobs_enqueued={} jobs_conflicted={} "
      "floor_seconds={}",
      run.rows_scanned, run.jobs_enqueued, run.jobs_conflicted, config.polling_floor.count());
  return run;
}

oban::JobResult MuxSyncCoordinator::perform(oban::JobContext&) {
  run_once();
  // Like Rindle, the coordinator always succeeds: the next minute's run picks up anything missed.
  return oban::JobResult::ok();
}

}  // namespace rindle
