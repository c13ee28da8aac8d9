#pragma once
// Rindle.Workers.MuxSyncCoordinator: every minute (cron), finds provider assets stuck in
// processing/uploading past the polling floor and enqueues one unique
// MuxSyncProviderAsset job per row.
#include "oban/worker.hpp"
#include "rindle/rindle_services.hpp"

namespace rindle {

inline constexpr const char* kCoordinatorWorker = "Rindle.Workers.MuxSyncCoordinator";
inline constexpr const char* kProviderQueue = "rindle_provider";

struct CoordinatorRun {
  int rows_scanned = 0;
  int jobs_enqueued = 0;
  int jobs_conflicted = 0;
  int enqueue_errors = 0;
};

class MuxSyncCoordinator final : public oban::Worker {
 public:
  explicit MuxSyncCoordinator(RindleServices& services) : services_(services) {}
  std::string name() const override { return kCoordinatorWorker; }
  oban::WorkerOptions options() const override;
  oban::JobResult perform(oban::JobContext& context) override;

  // One scan and fan-out, as perform does it; returns the counts it logs.
  CoordinatorRun run_once();

 private:
  RindleServices& services_;
};

}  // namespace rindle
