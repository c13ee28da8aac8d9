#pragma once
// Mux Video API client for Rindle's sync worker: GET /video/v1/assets/{id} with HTTP
// Basic auth, one connection per call (Rindle builds its client per call too).
#include <stop_token>
#include <string>

#include "rindle/mux_asset_response.hpp"
#include "rindle/mux_client_config.hpp"
#include "rindle/mux_status.hpp"

namespace rindle {

class MuxClient {
 public:
  explicit MuxClient(MuxClientConfig config);

  // Never throws for HTTP or transport failures: every outcome is a MuxAssetResponse.
  // Blocks for at most connect_timeout + read_timeout (plus a slow DNS lookup), and not at
  // all once `stop` is requested (the exchange is abandoned: a transport_error).
  // Rate limiting is the caller's job (see TokenBucket).
  MuxAssetResponse get_asset(const std::string& asset_id, std::stop_token stop = {}) const;

 private:
  MuxAssetResponse fetch_asset(const std::string& asset_id, std::stop_token stop) const;
  std::string redact_credentials(std::string text) const;

  MuxClientConfig config_;  // immutable after construction; holds the token secret
};

}  // namespace rindle
