#pragma once
// The flags for how a node is seen: its log (--log-format, --log-level) and its HTTP
// endpoints (--metrics-port, --metrics-bind), each defaulting to its OBAN_* variable.
#include <optional>

#include <boost/program_options.hpp>

#include "oban/runtime/default_logger.hpp"
#include "oban/runtime/node_observer.hpp"

namespace cli {

void add_observe_options(boost::program_options::options_description& options);

// Throw std::invalid_argument naming the flag and the accepted values.
oban::LoggerOptions logger_options_from(const boost::program_options::variables_map& vars);
// nullopt when --metrics-port is 0 (the default): no HTTP server.
std::optional<oban::ObserveOptions> observe_options_from(const boost::program_options::variables_map& vars);

}  // namespace cli
