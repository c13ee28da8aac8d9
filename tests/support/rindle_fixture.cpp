#include "support/rindle_fixture.hpp"

#include "oban/db/identifiers.hpp"
#include "oban/db/job_row.hpp"

namespace test_support {
namespace {
rindle::MuxClientConfig fake_mux_config(const testkit::FakeMux& server) {
  rindle::MuxClientConfig config;
  config.base_url = server.base_url();
  config.token_id = "test-token-id";
  config.token_secret = "test-token-secret";
  config.connect_timeout = std::chrono::milliseconds{1000};
  config.read_timeout = std::chrono::milliseconds{1000};
  return config;
}
}  // namespace

RindleFixture::RindleFixture(double mux_rate_per_second)
    : schema("rindle", 14, true),
      // Starts at the real time: inserted_at comes from the database clock, as in Elixir.
      clock(oban::SystemClock::instance().now()),
      pool(schema.dsn(), 4),
      client({.dsn = schema.dsn(), .prefix = schema.prefix()}, clock),
      mux_server("test-token-id", "test-token-secret"),
      mux(fake_mux_config(mux_server)),
      mux_rate(mux_rate_per_second, 5),
      services{pool, client, mux, mux_rate, rindle::RindleConfig{}, schema.prefix(), clock} {}

std::string RindleFixture::add_provider_asset(const std::string& provider_asset_id, const std::string& state,
                                              std::chrono::seconds age) {
  const auto updated_at = oban::format_sql_timestamp(clock.now() - age);
  pqxx::work tx{schema.conn()};
  const auto assets = oban::db::qualified(schema.prefix(), "media_assets");
  const auto providers = oban::db::qualified(schema.prefix(), "media_provider_assets");
  const auto asset_id = tx.exec1("SELECT gen_random_uuid()::text")[0].as<std::string>();
  tx.exec_params("INSERT INTO " + assets +
                     " (id, state, storage_key, profile, kind, inserted_at, updated_at)"
                     " VALUES ($1::uuid, 'available', $2, 'video', 'video', $3::timestamp, $3::timestamp)",
                 asset_id, "media/" + asset_id, updated_at);
  const auto id = tx.exec_params1(
                        "INSERT INTO " + providers +
                            " (id, asset_id, profile, provider_name, provider_asset_id, state, inserted_at, updated_at)"
                            " VALUES (gen_random_uuid(), $1::uuid, 'video', 'mux', $2, $3, $4::timestamp, $4::timestamp)"
                            " RETURNING id::text",
                        asset_id, provider_asset_id, state, updated_at)[0]
                      .as<std::string>();
  tx.commit();
  return id;
}

RindleFixture::Row RindleFixture::row(const std::string& provider_asset_id) {
  pqxx::read_transaction tx{schema.conn()};
  auto r = tx.exec_params1("SELECT state, coalesce(last_sync_error, ''), playback_ids::text[], updated_at FROM " +
                               oban::db::qualified(schema.prefix(), "media_provider_assets") +
                               " WHERE provider_asset_id = $1",
                           provider_asset_id);
  return Row{r[0].c_str(), r[1].c_str(), oban::db::parse_text_array(r[2]), oban::parse_sql_timestamp(r[3].c_str())};
}

}  // namespace test_support
