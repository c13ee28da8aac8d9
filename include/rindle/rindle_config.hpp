#pragma once
// Rindle's settings, read from the environment with Rindle's names and defaults.
#include <chrono>
#include <string>

namespace rindle {

struct RindleConfig {
  // Rows untouched for at least this long are polled (RINDLE_PROVIDER_POLLING_FLOOR_SECONDS).
  std::chrono::seconds polling_floor{30};
  // At most this many rows per coordinator run (RINDLE_PROVIDER_POLLING_BATCH_SIZE).
  int polling_batch_size = 1000;
  // processing/uploading rows older than this are marked errored
  // (RINDLE_PROVIDER_STUCK_THRESHOLD_SECONDS).
  std::chrono::seconds stuck_threshold{7200};
  // Mux GETs per second across this node (RINDLE_MUX_RATE_LIMIT).
  double mux_rate_limit = 5.0;
  // Schema holding Rindle's tables (media_assets, media_provider_assets): the application's
  // schema, independent of the Oban prefix (RINDLE_SCHEMA).
  std::string schema = "public";

  // Throws std::invalid_argument naming the variable when one is not a positive number.
  static RindleConfig from_env();
};

}  // namespace rindle
