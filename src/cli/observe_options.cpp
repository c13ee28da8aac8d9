#include "cli/observe_options.hpp"

#include <stdexcept>

#include "cli/commands.hpp"

namespace po = boost::program_options;

namespace cli {

void add_observe_options(po::options_description& options) {
  options.add_options()
      ("log-format", po::value<std::string>()->default_value(env_or("OBAN_LOG_FORMAT", "text")),
       "text, or json: one JSON object per line shaped like Oban's default logger (env OBAN_LOG_FORMAT)")
      ("log-level", po::value<std::string>()->default_value(env_or("OBAN_LOG_LEVEL", "info")),
       "debug, info, warning or error: log events at this level and above (env OBAN_LOG_LEVEL)")
      ("metrics-port", po::value<std::string>()->default_value(env_or("OBAN_METRICS_PORT", "0")),
       "serve /metrics (Prometheus), /healthz and /readyz on this port; 0 = off (env OBAN_METRICS_PORT)")
      ("metrics-bind", po::value<std::string>()->default_value(env_or("OBAN_METRICS_BIND", "127.0.0.1")),
       "address the metrics port listens on; 0.0.0.0 for every interface, e.g. in a container "
       "(env OBAN_METRICS_BIND)");
}

oban::LoggerOptions logger_options_from(const po::variables_map& vars) {
  oban::LoggerOptions options;
  try {
    options.format = oban::parse_log_format(vars["log-format"].as<std::string>());
    options.level = oban::parse_log_level(vars["log-level"].as<std::string>());
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument(std::string{"--log-format/--log-level: "} + error.what());
  }
  return options;
}

std::optional<oban::ObserveOptions> observe_options_from(const po::variables_map& vars) {
  const auto text = vars["metrics-port"].as<std::string>();
  long port = -1;
  try {
    std::size_t used = 0;
    port = std::stol(text, &used);
    if (used != text.size()) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535) {
    throw std::invalid_argument("--metrics-port '" + text + "' must be a port number 1..65535, or 0 for off");
  }
  if (port == 0) return std::nullopt;
  oban::ObserveOptions options;
  options.port = static_cast<unsigned short>(port);
  options.bind_address = vars["metrics-bind"].as<std::string>();
  return options;
}

}  // namespace cli
