// RINDLE_SCHEMA: Rindle's tables live in the application's schema (default public), apart
// from the Oban prefix. The per-row job, run by rindle-worker's runtime, finds them there.
#include <catch2/catch.hpp>

#include <thread>

#include "cli/rindle_runtime.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/insert/inserter.hpp"
#include "rindle/mux_sync_provider_asset.hpp"
#include "rindle/rindle_schema.hpp"
#include "support/scoped_env.hpp"
#include "support/test_database.hpp"
#include "testkit/fake_mux.hpp"

using namespace std::chrono_literals;
using test_support::ScopedEnv;
using test_support::TestSchema;

namespace {

// Rindle's tables in public for the test's life. Refuses to touch tables it did not create.
class PublicRindleTables {
 public:
  explicit PublicRindleTables(pqxx::connection& conn) : conn_(conn) {
    {
      pqxx::read_transaction tx{conn_};
      REQUIRE(tx.exec("SELECT to_regclass('public.media_provider_assets') IS NULL")[0][0].as<bool>());
    }
    rindle::install_rindle_tables(conn_, "public");
  }
  ~PublicRindleTables() {
    try {
      pqxx::work tx{conn_};
      tx.exec("DROP TABLE IF EXISTS public.media_provider_assets, public.media_assets");
      tx.commit();
    } catch (...) {
    }
  }

 private:
  pqxx::connection& conn_;
};

void add_provider_asset(pqxx::connection& conn, const std::string& provider_asset_id) {
  pqxx::work tx{conn};
  const auto asset_id = tx.exec1("SELECT gen_random_uuid()::text")[0].as<std::string>();
  tx.exec_params("INSERT INTO public.media_assets (id, state, storage_key, profile, kind, inserted_at, updated_at)"
                 " VALUES ($1::uuid, 'available', $2, 'video', 'video', now() - interval '1 hour',"
                 " now() - interval '1 hour')",
                 asset_id, "media/" + asset_id);
  tx.exec_params("INSERT INTO public.media_provider_assets"
                 " (id, asset_id, profile, provider_name, provider_asset_id, state, inserted_at, updated_at)"
                 " VALUES (gen_random_uuid(), $1::uuid, 'video', 'mux', $2, 'processing',"
                 " timezone('UTC', now()) - interval '1 minute', timezone('UTC', now()) - interval '1 minute')",
                 asset_id, provider_asset_id);
  tx.commit();
}

std::string text(pqxx::connection& conn, const std::string& sql) {
  pqxx::read_transaction tx{conn};
  const auto rows = tx.exec(sql);
  return rows.empty() || rows[0][0].is_null() ? "" : rows[0][0].as<std::string>();
}

struct Environment {
  Environment(const TestSchema& schema, const testkit::FakeMux& mux)
      : url{"DATABASE_URL", schema.dsn()},
        mux_url{"RINDLE_MUX_BASE_URL", mux.base_url()},
        token_id{"RINDLE_MUX_TOKEN_ID", "schema-token-id"},
        token_secret{"RINDLE_MUX_TOKEN_SECRET", "schema-token-secret"} {}
  ScopedEnv url, mux_url, token_id, token_secret;
};

oban::NodeConfig node_config(const TestSchema& schema) {
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();  // not public
  config.node = "cpp-rindle-schema";
  config.queues = {{"rindle_provider", 1}};
  config.poll_interval = 50ms;
  return config;
}

}  // namespace

TEST_CASE("the per-row job works with an Oban prefix and Rindle's tables in public (RINDLE_SCHEMA)",
          "[rindle][schema_setting]") {
  TestSchema schema{"obanonly"};  // Oban's tables only
  REQUIRE(schema.prefix() != "public");
  PublicRindleTables tables{schema.conn()};
  testkit::FakeMux mux{"schema-token-id", "schema-token-secret"};
  mux.set_asset("asset-in-public", "ready", {"play-public"});
  add_provider_asset(schema.conn(), "asset-in-public");
  Environment env{schema, mux};
  ScopedEnv rindle_schema{"RINDLE_SCHEMA", "public"};

  cli::RindleRuntime runtime{node_config(schema)};
  runtime.start();
  oban::ManualClock clock{oban::SystemClock::instance().now()};
  oban::db::ConnectionPool pool{schema.dsn(), 1};
  oban::Inserter inserter{pool, schema.prefix(), clock};
  oban::NewJob job;
  job.worker = rindle::kProviderAssetWorker;
  job.queue = "rindle_provider";
  job.max_attempts = 3;
  job.args = R"({"provider_asset_id":"asset-in-public"})";
  const auto id = inserter.insert(job).job.id;
  const auto job_state = [&] {
    return text(schema.conn(), "SELECT state::text FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(id));
  };
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (job_state() != "completed" && job_state() != "retryable" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  runtime.stop();
  INFO(text(schema.conn(), "SELECT errors::text FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(id)));
  CHECK(job_state() == "completed");
  CHECK(text(schema.conn(), "SELECT state FROM public.media_provider_assets WHERE provider_asset_id = 'asset-in-public'") ==
        "ready");
  CHECK(mux.request_count("asset-in-public") == 1);
}

TEST_CASE("a RINDLE_SCHEMA without Rindle's tables stops the runtime with a clear error", "[rindle][schema_setting]") {
  TestSchema schema{"obanonly"};
  testkit::FakeMux mux{"schema-token-id", "schema-token-secret"};
  Environment env{schema, mux};
  ScopedEnv rindle_schema{"RINDLE_SCHEMA", "no_such_schema"};
  CHECK_THROWS_WITH(cli::RindleRuntime{node_config(schema)},
                    Catch::Matchers::Contains("media_provider_assets is not in schema \"no_such_schema\"") &&
                        Catch::Matchers::Contains("RINDLE_SCHEMA"));
  // The flag overrides the variable.
  CHECK_THROWS_WITH(cli::RindleRuntime(node_config(schema), std::string{"flag_schema"}),
                    Catch::Matchers::Contains("\"flag_schema\""));
}
