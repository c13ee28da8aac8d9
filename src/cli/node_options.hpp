#pragma once
// Flags and OBAN_* environment variables shared by `run` and `demo`, turned into a NodeConfig.
#include <boost/program_options.hpp>

#include "cli/commands.hpp"
#include "oban/runtime/node_config.hpp"

namespace cli {

// Adds --queues, --node, --prefix, --poll-interval, --peer-name, --cron, --no-cron,
// --no-notifications, --all-workers, --shutdown-grace, each defaulting to its OBAN_* variable.
void add_node_options(boost::program_options::options_description& options);

// The NodeConfig the parsed flags describe. DATABASE_URL comes from the environment.
// Throws std::invalid_argument for malformed values.
oban::NodeConfig node_config_from(const boost::program_options::variables_map& vars);

// "rindle_provider:4,other:2" → {rindle_provider: 4, other: 2}.
std::map<std::string, int> parse_queues(const std::vector<std::string>& specs);

}  // namespace cli
