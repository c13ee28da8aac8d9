#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rindle {

// The outcome of GET /video/v1/assets/{id}, as a value: the sync worker maps each Kind
// to a job result in one place.
struct MuxAssetResponse {
  enum class Kind {
    ok,               // 200 with a readable body: status and playback_ids are set
    not_found,        // 404
    rate_limited,     // 429; retry_after when Mux sent a usable Retry-After
    http_error,       // any other HTTP status, or a 200 whose body could not be read
    transport_error,  // DNS, connect, TLS, timeout, broken connection, bad config
  };

  Kind kind = Kind::transport_error;
  int http_status = 0;                          // 0 when no HTTP answer arrived
  std::string status;                           // Mux data.status verbatim, e.g. "preparing"
  std::vector<std::string> playback_ids;        // data.playback_ids[].id, in Mux's order
  std::optional<std::chrono::seconds> retry_after;
  std::string error;  // for last_sync_error; empty on ok; never holds credentials
};

std::string_view to_string(MuxAssetResponse::Kind kind);

}  // namespace rindle
