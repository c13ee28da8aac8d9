#pragma once
#include <chrono>
#include <string>

namespace rindle {

struct MuxClientConfig {
  // Scheme, host, optional port and path prefix. http:// is meant for loopback tests.
  std::string base_url = "https://api.mux.com";
  std::string token_id;      // Mux access token id (Basic auth user); secret, never logged
  std::string token_secret;  // Mux access token secret (Basic auth password); never logged
  std::chrono::milliseconds connect_timeout{5000};  // DNS + TCP connect + TLS handshake
  std::chrono::milliseconds read_timeout{15000};    // sending the request + reading the answer

  // RINDLE_MUX_BASE_URL (when set and non-empty), RINDLE_MUX_TOKEN_ID,
  // RINDLE_MUX_TOKEN_SECRET; timeouts keep their defaults.
  static MuxClientConfig from_env();
};

}  // namespace rindle
