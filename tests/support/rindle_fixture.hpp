#pragma once
// A Rindle world for tests: a migrated schema with Rindle's tables, a fake Mux on
// loopback, a manual clock, and the services Rindle's workers need.
#include <memory>
#include <string>

#include "oban/client/client.hpp"
#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "rindle/mux_client.hpp"
#include "rindle/rindle_services.hpp"
#include "rindle/token_bucket.hpp"
#include "support/test_database.hpp"
#include "testkit/fake_mux.hpp"

namespace test_support {

class RindleFixture {
 public:
  explicit RindleFixture(double mux_rate = 1000.0);

  // A media asset plus one media_provider_assets row; returns the provider row's uuid.
  std::string add_provider_asset(const std::string& provider_asset_id, const std::string& state,
                                 std::chrono::seconds age);
  // The row's state, last_sync_error ("" when NULL), playback_ids and updated_at.
  struct Row {
    std::string state;
    std::string last_sync_error;
    std::vector<std::string> playback_ids;
    oban::Timestamp updated_at;
  };
  Row row(const std::string& provider_asset_id);

  TestSchema schema;
  oban::ManualClock clock;
  oban::db::ConnectionPool pool;
  oban::Client client;  // Rindle's: inserts into the schema's oban_jobs
  testkit::FakeMux mux_server;
  rindle::MuxClient mux;
  rindle::TokenBucket mux_rate;
  rindle::RindleServices services;
};

}  // namespace test_support
