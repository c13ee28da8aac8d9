#include "rindle/mux_sync_provider_asset.hpp"

#include "oban/json/json_value.hpp"
#include "rindle/mux_status.hpp"
#include "rindle/mux_sync_coordinator.hpp"
#include "rindle/provider_asset_fsm.hpp"
#include "rindle_telemetry.hpp"

namespace rindle {
namespace {

// When Mux sends 429 without a usable Retry-After: Rindle's 60 s floor for Mux 429s.
constexpr std::chrono::seconds kDefaultRetryAfter{60};

bool in_flight(const std::string& state) { return state == "processing" || state == "uploading"; }

std::int64_t age_ms(const ProviderAsset& row, oban::Timestamp now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - row.updated_at).count();
}

void log_resolved(const ProviderAsset& row, const std::string& provider_state, oban::Timestamp now, bool no_change) {
  report("rindle:provider:sync:resolved", oban::telemetry::Level::info,
       {{"profile", row.profile},
        {"provider", "mux"},
        {"asset_id", redact_id(row.provider_asset_id)},
        {"provider_state", provider_state},
        {"age_ms", age_ms(row, now)},
        {"no_change", no_change}});
}

}  // namespace

oban::UniqueOptions provider_asset_unique_options() {
  oban::UniqueOptions unique;
  unique.fields = {oban::UniqueField::args, oban::UniqueField::worker};
  unique.keys = {"provider_asset_id"};
  unique.period = std::chrono::seconds{60};
  return unique;
}

oban::NewJob provider_asset_job(const std::string& provider_asset_id) {
  oban::NewJob job;
  job.worker = kProviderAssetWorker;
  job.queue = kProviderQueue;
  job.max_attempts = 3;
  job.args = oban::json::write(oban::Value::Object{{"provider_asset_id", provider_asset_id}});
  job.unique = provider_asset_unique_options();
  return job;
}

MuxSyncProviderAsset::MuxSyncProviderAsset(RindleServices& services)
    : services_(services), store_(services.schema) {}

oban::WorkerOptions MuxSyncProviderAsset::options() const {
  oban::WorkerOptions options;
  options.queue = kProviderQueue;
  options.max_attempts = 3;
  options.unique = provider_asset_unique_options();
  return options;
}

// Every write goes through context.transaction: it commits with the job's ack, and not at
// all when the job was cancelled, timed out or rescued meanwhile. No transaction is open
// while Mux is asked.
oban::JobResult MuxSyncProviderAsset::perform(oban::JobContext& context) {
  const auto provider_asset_id = context.args.string("provider_asset_id");
  if (!provider_asset_id || provider_asset_id->empty()) {
    // Retrying cannot fix malformed args; cancel keeps the job and its reason visible.
    return oban::JobResult::cancel("args need a string provider_asset_id");
  }
  auto conn = services_.pool.acquire();
  const auto row = store_.find_by_provider_asset_id(*conn, *provider_asset_id);
  if (!row) return oban::JobResult::ok();  // the row is gone: nothing to sync

  const auto now = services_.clock.now();
  if (in_flight(row->state) && now - row->updated_at > services_.config.stuck_threshold) {
    const auto result = context.transaction(*conn, [&](pqxx::transaction_base& tx) {
      store_.mark_errored(tx, row->id, "stuck in :" + row->state + " past threshold", now);
      return oban::JobResult::ok();
    });
    report("rindle:provider:sync:stuck", oban::telemetry::Level::warning,
         {{"profile", row->profile},
          {"provider", "mux"},
          {"asset_id", redact_id(row->provider_asset_id)},
          {"provider_state", row->state},
          {"age_ms", age_ms(*row, now)}});
    return result;
  }

  // A stop (pkill, timeout, shutdown) ends both waits at once; the job's outcome is then
  // decided elsewhere, so what is returned here is never written.
  if (!services_.mux_rate.acquire(context.stop)) return oban::JobResult::error("stopped waiting for the Mux rate limit");
  const auto response = services_.mux.get_asset(*provider_asset_id, context.stop);
  if (context.stop.stop_requested()) return oban::JobResult::error("stopped during the Mux request");
  std::optional<Resolved> resolved;
  const auto result = context.transaction(
      *conn, [&](pqxx::transaction_base& tx) { return apply(*row, response, tx, resolved); });
  if (resolved) log_resolved(*row, resolved->provider_state, resolved->at, resolved->no_change);
  return result;
}

oban::JobResult MuxSyncProviderAsset::apply(const ProviderAsset& row, const MuxAssetResponse& response,
                                            pqxx::transaction_base& tx, std::optional<Resolved>& resolved) {
  const auto now = services_.clock.now();
  resolved.reset();
  using Kind = MuxAssetResponse::Kind;
  switch (response.kind) {
    case Kind::ok: {
      const auto live = normalize_mux_status(response.status);
      if (!live) {
        // Beyond Rindle (which marks the row errored): an unknown status says nothing about
        // the asset failing. Record it without touching updated_at, so the floor and the
        // stuck clock keep running and a truly stuck row still ends errored.
        report("rindle:mux:unknown_status", oban::telemetry::Level::warning,
             {{"asset_id", redact_id(row.provider_asset_id)}, {"status", response.status}});
        store_.record_sync_error(tx, row.id, "unknown mux status: " + response.status, now, false);
        return oban::JobResult::ok();
      }
      if (*live == row.state) {
        resolved = Resolved{*live, now, true};
        return oban::JobResult::ok();
      }
      // Beyond Rindle: an upload whose asset Mux already finished went through processing
      // on Mux's side; the user wants it ready, not errored.
      const bool skipped_processing = row.state == "uploading" && *live == "ready";
      if (transition_allowed(row.state, *live) || skipped_processing) {
        store_.update_state(tx, row.id, *live, response.playback_ids, now);
      } else {
        store_.mark_errored(tx, row.id, "live state " + *live + " not reachable from " + row.state, now);
      }
      resolved = Resolved{*live, now, false};
      return oban::JobResult::ok();
    }
    case Kind::not_found:
      store_.mark_errored(tx, row.id, "mux asset not found", now);
      resolved = Resolved{"errored", now, false};
      return oban::JobResult::ok();
    case Kind::rate_limited:
      // Beyond Rindle: wait as Mux asks instead of spending an attempt.
      return oban::JobResult::snooze(response.retry_after.value_or(kDefaultRetryAfter).count());
    case Kind::http_error:
    case Kind::transport_error:
      store_.record_sync_error(tx, row.id, response.error, now);
      return oban::JobResult::error(response.error);
  }
  return oban::JobResult::error("unhandled Mux response");
}

void register_rindle_workers(oban::WorkerRegistry& registry, RindleServices& services) {
  registry.add(std::make_shared<MuxSyncCoordinator>(services));
  registry.add(std::make_shared<MuxSyncProviderAsset>(services));
}

}  // namespace rindle
