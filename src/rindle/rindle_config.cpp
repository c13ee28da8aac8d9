#include "rindle/rindle_config.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace rindle {
namespace {

double positive_number(const char* name, double fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == std::string{text}.size() && value > 0) return value;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(std::string{name} + " must be a positive number, got '" + text + "'");
}

}  // namespace

RindleConfig RindleConfig::from_env() {
  RindleConfig config;
  config.polling_floor = std::chrono::seconds{
      static_cast<long>(positive_number("RINDLE_PROVIDER_POLLING_FLOOR_SECONDS", 30))};
  config.polling_batch_size = static_cast<int>(positive_number("RINDLE_PROVIDER_POLLING_BATCH_SIZE", 1000));
  config.stuck_threshold = std::chrono::seconds{
      static_cast<long>(positive_number("RINDLE_PROVIDER_STUCK_THRESHOLD_SECONDS", 7200))};
  config.mux_rate_limit = positive_number("RINDLE_MUX_RATE_LIMIT", 5);
  if (const char* schema = std::getenv("RINDLE_SCHEMA"); schema && *schema) config.schema = schema;
  return config;
}

}  // namespace rindle
