// Rindle's tables as its v0.1.5 migrations leave them.
#include <catch2/catch.hpp>

#include "rindle/rindle_schema.hpp"
#include "support/test_database.hpp"

TEST_CASE("Rindle's media_provider_assets has Rindle's columns, defaults and indexes", "[rindle][schema]") {
  test_support::TestSchema schema{"rindle_tables", 14, true};
  pqxx::read_transaction tx{schema.conn()};
  auto columns = tx.exec_params(
      "SELECT column_name, data_type, is_nullable, coalesce(column_default, '') FROM information_schema.columns "
      "WHERE table_schema = $1 AND table_name = 'media_provider_assets' ORDER BY ordinal_position",
      schema.prefix());
  std::vector<std::string> names;
  for (const auto& row : columns) names.push_back(row[0].c_str());
  CHECK(names == std::vector<std::string>{"id", "asset_id", "profile", "provider_name", "provider_asset_id",
                                          "playback_ids", "playback_policy", "ingest_mode", "state", "last_event_id",
                                          "last_event_at", "last_sync_error", "raw_provider_metadata", "inserted_at",
                                          "updated_at"});
  CHECK(std::string{columns[8][3].c_str()}.find("'pending'") != std::string::npos);
  auto indexes = tx.exec_params("SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = "
                                "'media_provider_assets' ORDER BY indexname",
                                schema.prefix());
  CHECK(indexes.size() == 5);
  auto fk = tx.exec_params(
      "SELECT confdeltype FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
      "WHERE conname = 'media_provider_assets_asset_id_fkey' AND nspname = $1",
      schema.prefix());
  REQUIRE(fk.size() == 1);
  CHECK(std::string{fk[0][0].c_str()} == "c");  // ON DELETE CASCADE
}

TEST_CASE("Rindle's tables are created only on request", "[rindle][schema]") {
  test_support::TestSchema schema{"rindle", 14};
  auto count_tables = [&] {
    pqxx::read_transaction tx{schema.conn()};
    return tx.exec_params("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'media_%'",
                          schema.prefix())[0][0].as<int>();
  };
  CHECK(count_tables() == 0);
  rindle::install_rindle_tables(schema.conn(), schema.prefix());
  rindle::install_rindle_tables(schema.conn(), schema.prefix());  // idempotent
  CHECK(count_tables() == 2);
}
