#pragma once
// The SQL Rindle's workers run against media_provider_assets.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/timestamp.hpp"

namespace rindle {

struct ProviderAsset {
  std::string id;                  // uuid
  std::string asset_id;            // the media asset's uuid
  std::string profile;
  std::string provider_name;
  std::string provider_asset_id;   // the Mux asset id (a secret: log it redacted)
  std::string state;
  oban::Timestamp updated_at{};
};

class ProviderAssetStore {
 public:
  explicit ProviderAssetStore(std::string schema);

  // provider_asset_id of rows in processing or uploading, untouched since `cutoff`, with a
  // Mux id, oldest first, at most `limit` (the coordinator's query).
  std::vector<std::string> stale_provider_asset_ids(pqxx::connection& conn, oban::Timestamp cutoff, int limit) const;

  std::optional<ProviderAsset> find_by_provider_asset_id(pqxx::connection& conn, const std::string& id) const;

  // The writes go in the caller's transaction (the job's own, so they commit with its ack).
  // state (+ playback_ids when given) and updated_at = now, as Ecto's update does.
  void update_state(pqxx::transaction_base& tx, const std::string& id, const std::string& state,
                    const std::optional<std::vector<std::string>>& playback_ids, oban::Timestamp now) const;
  // state errored with last_sync_error, updated_at = now.
  void mark_errored(pqxx::transaction_base& tx, const std::string& id, const std::string& error,
                    oban::Timestamp now) const;
  // last_sync_error only; updated_at moves only when the text changed (Ecto writes only
  // changed fields), unless `touch` is false, when it never moves.
  void record_sync_error(pqxx::transaction_base& tx, const std::string& id, const std::string& error,
                         oban::Timestamp now, bool touch = true) const;

 private:
  std::string table_;
};

// Rindle's redact_id/1: "..." + the last 4 characters; "...redacted" when shorter than 4.
std::string redact_id(const std::string& id);

}  // namespace rindle
