#pragma once
// Rindle.Workers.MuxSyncProviderAsset: syncs one media_provider_assets row with Mux.
#include <optional>

#include "oban/worker.hpp"
#include "rindle/mux_asset_response.hpp"
#include "rindle/provider_asset_store.hpp"
#include "rindle/rindle_services.hpp"

namespace rindle {

inline constexpr const char* kProviderAssetWorker = "Rindle.Workers.MuxSyncProviderAsset";

// The unique options Rindle's coordinator enqueues with: fields [args, worker],
// keys [provider_asset_id], period 60, default states.
oban::UniqueOptions provider_asset_unique_options();

// A MuxSyncProviderAsset job for one Mux asset id, as the coordinator enqueues it.
oban::NewJob provider_asset_job(const std::string& provider_asset_id);

class MuxSyncProviderAsset final : public oban::Worker {
 public:
  explicit MuxSyncProviderAsset(RindleServices& services);
  std::string name() const override { return kProviderAssetWorker; }
  oban::WorkerOptions options() const override;
  oban::JobResult perform(oban::JobContext& context) override;

 private:
  // What to log once a sync's transaction committed.
  struct Resolved {
    std::string provider_state;
    oban::Timestamp at;
    bool no_change = false;
  };
  // Maps Mux's answer to a row change (in `tx`) and a job result, in one place.
  oban::JobResult apply(const ProviderAsset& row, const MuxAssetResponse& response, pqxx::transaction_base& tx,
                        std::optional<Resolved>& resolved);

  RindleServices& services_;
  ProviderAssetStore store_;
};

// Registers both workers.
void register_rindle_workers(oban::WorkerRegistry& registry, RindleServices& services);

}  // namespace rindle
