#pragma once
// What Rindle's workers share on one node: the database, the Oban client, the Mux client,
// the node-wide Mux rate limit, Rindle's settings and the clock.
#include <memory>
#include <string>

#include "oban/client/client.hpp"
#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "rindle/mux_client.hpp"
#include "rindle/rindle_config.hpp"
#include "rindle/token_bucket.hpp"

namespace rindle {

struct RindleServices {
  oban::db::ConnectionPool& pool;     // connections for Rindle's own tables
  oban::Client& client;               // enqueues the per-row sync jobs
  const MuxClient& mux;               // GET /video/v1/assets/{id}
  TokenBucket& mux_rate;              // at most RINDLE_MUX_RATE_LIMIT GETs per second per node
  RindleConfig config;                // floor, batch size, stuck threshold
  std::string schema = "public";      // schema holding Rindle's tables (RindleConfig::schema), not the Oban prefix
  const oban::Clock& clock = oban::SystemClock::instance();
};

}  // namespace rindle
