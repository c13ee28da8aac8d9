#include "rindle/mux_client_config.hpp"

#include <cstdlib>

namespace rindle {

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return fallback;
  return value;
}

}  // namespace

MuxClientConfig MuxClientConfig::from_env() {
  MuxClientConfig config;
  config.base_url = env_or("RINDLE_MUX_BASE_URL", config.base_url);
  config.token_id = env_or("RINDLE_MUX_TOKEN_ID", "");
  config.token_secret = env_or("RINDLE_MUX_TOKEN_SECRET", "");
  return config;
}

}  // namespace rindle
