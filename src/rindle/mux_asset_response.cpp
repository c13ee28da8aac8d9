#include "rindle/mux_asset_response.hpp"

namespace rindle {

std::string_view to_string(MuxAssetResponse::Kind kind) {
  switch (kind) {
    case MuxAssetResponse::Kind::ok: return "ok";
    case MuxAssetResponse::Kind::not_found: return "not_found";
    case MuxAssetResponse::Kind::rate_limited: return "rate_limited";
    case MuxAssetResponse::Kind::http_error: return "http_error";
    case MuxAssetResponse::Kind::transport_error: return "transport_error";
  }
  return "unknown";
}

}  // namespace rindle
