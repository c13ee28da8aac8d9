#include <cstdlib>
#include <stdexcept>

#include "cli/commands.hpp"

namespace cli {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

std::string database_url_from_env() {
  const std::string url = env_or("DATABASE_URL", "");
  if (url.empty()) {
    throw std::runtime_error("DATABASE_URL is not set (e.g. postgres://user:password@localhost:5432/app)");
  }
  return url;
}

}  // namespace cli
