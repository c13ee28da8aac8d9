#include "rindle/provider_asset_store.hpp"

#include "oban/db/identifiers.hpp"
#include "oban/json/json_value.hpp"

namespace rindle {
namespace {
// Rindle's changeset caps last_sync_error at 4096 characters.
constexpr std::size_t kMaxSyncError = 4096;

// Cut on a character boundary: half a UTF-8 sequence would make PostgreSQL refuse the text.
std::string capped(const std::string& text) {
  if (text.size() <= kMaxSyncError) return text;
  std::size_t end = kMaxSyncError;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}
}  // namespace

ProviderAssetStore::ProviderAssetStore(std::string schema)
    : table_(oban::db::qualified(schema, "media_provider_assets")) {}

std::vector<std::string> ProviderAssetStore::stale_provider_asset_ids(pqxx::connection& conn, oban::Timestamp cutoff,
                                                                      int limit) const {
  pqxx::read_transaction tx{conn};
  auto rows = tx.exec_params("SELECT provider_asset_id FROM " + table_ +
                                 " WHERE state IN ('processing', 'uploading') AND updated_at < $1::timestamp"
                                 " AND provider_asset_id IS NOT NULL ORDER BY updated_at LIMIT $2",
                             oban::format_sql_timestamp(cutoff), limit);
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (const auto& row : rows) ids.emplace_back(row[0].c_str());
  return ids;
}

std::optional<ProviderAsset> ProviderAssetStore::find_by_provider_asset_id(pqxx::connection& conn,
                                                                           const std::string& id) const {
  pqxx::read_transaction tx{conn};
  auto rows = tx.exec_params("SELECT id, asset_id, profile, provider_name, provider_asset_id, state, updated_at FROM " +
                                 table_ + " WHERE provider_asset_id = $1 LIMIT 1",
                             id);
  if (rows.empty()) return std::nullopt;
  const auto& row = rows[0];
  return ProviderAsset{row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].c_str(),
                       row[4].c_str(), row[5].c_str(), oban::parse_sql_timestamp(row[6].c_str())};
}

void ProviderAssetStore::update_state(pqxx::transaction_base& tx, const std::string& id, const std::string& state,
                                      const std::optional<std::vector<std::string>>& playback_ids,
                                      oban::Timestamp now) const {
  if (playback_ids) {
    // The ids travel as one JSON array: libpqxx 6.4 has no array parameters.
    tx.exec_params("UPDATE " + table_ +
                       " SET state = $2, playback_ids = ARRAY(SELECT jsonb_array_elements_text($3::jsonb))::varchar[],"
                       " updated_at = $4::timestamp WHERE id = $1",
                   id, state, oban::json::write(oban::Value::Array(playback_ids->begin(), playback_ids->end())),
                   oban::format_sql_timestamp(now));
  } else {
    tx.exec_params("UPDATE " + table_ + " SET state = $2, updated_at = $3::timestamp WHERE id = $1", id, state,
                   oban::format_sql_timestamp(now));
  }
}

void ProviderAssetStore::mark_errored(pqxx::transaction_base& tx, const std::string& id, const std::string& error,
                                      oban::Timestamp now) const {
  tx.exec_params("UPDATE " + table_ + " SET state = 'errored', last_sync_error = $2, updated_at = $3::timestamp WHERE id = $1",
                 id, capped(error), oban::format_sql_timestamp(now));
}

void ProviderAssetStore::record_sync_error(pqxx::transaction_base& tx, const std::string& id, const std::string& error,
                                           oban::Timestamp now, bool touch) const {
  if (touch) {
    tx.exec_params("UPDATE " + table_ +
                       " SET last_sync_error = $2, updated_at = $3::timestamp"
                       " WHERE id = $1 AND last_sync_error IS DISTINCT FROM $2",
                   id, capped(error), oban::format_sql_timestamp(now));
  } else {
    tx.exec_params("UPDATE " + table_ + " SET last_sync_error = $2 WHERE id = $1", id, capped(error));
  }
}

std::string redact_id(const std::string& id) {
  if (id.size() < 4) return "...redacted";
  return "..." + id.substr(id.size() - 4);
}

}  // namespace rindle
