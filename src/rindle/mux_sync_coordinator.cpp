#include "rindle/mux_sync_coordinator.hpp"

#include "rindle/mux_sync_provider_asset.hpp"
#include "rindle/provider_asset_store.hpp"
#include "rindle_telemetry.hpp"

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
    for (const auto& result : services_.client.insert_all(jobs)) {
      ++(result.conflict ? run.jobs_conflicted : run.jobs_enqueued);
    }
  } catch (const std::exception& e) {
    run.enqueue_errors = run.rows_scanned;
    report("rindle:workers:mux_sync_coordinator:enqueue_errors", oban::telemetry::Level::warning,
         {{"count", run.enqueue_errors}, {"error", e.what()}});
  }
  report("rindle:workers:mux_sync_coordinator:completed", oban::telemetry::Level::info,
       {{"rows_scanned", run.rows_scanned},
        {"jobs_enqueued", run.jobs_enqueued},
        {"jobs_conflicted", run.jobs_conflicted},
        {"floor_seconds", config.polling_floor.count()}});
  return run;
}

oban::JobResult MuxSyncCoordinator::perform(oban::JobContext&) {
  run_once();
  // Like Rindle, the coordinator always succeeds: the next minute's run picks up anything missed.
  return oban::JobResult::ok();
}

}  // namespace rindle
