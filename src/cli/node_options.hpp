#pragma once
// Flags and OBAN_* environment variables shared by `run` and `demo`, turned into a NodeConfig.
#include <boost/program_options.hpp>

#include "cli/commands.hpp"
#include "oban/runtime/node_config.hpp"

namespace cli {

// Adds every node flag (queues, node, prefix, polling, election, cron, plugins, notifier,
// shutdown); each falls back to its OBAN_* variable, then to its default. --help states both.
void add_node_options(boost::program_options::options_description& options);

// The NodeConfig the parsed flags and the environment describe. DATABASE_URL comes from the
// environment. Throws std::invalid_argument naming the flag or variable and its bad value.
oban::NodeConfig node_config_from(const boost::program_options::variables_map& vars);

// "rindle_provider:4,other:2" -> {rindle_provider: 4, other: 2}; "none" -> no queues.
// Throws std::invalid_argument for a malformed item, a queue listed twice, or nothing at all
// (an empty --queues would start a node that silently runs nothing).
std::map<std::string, int> parse_queues(const std::vector<std::string>& specs, const std::string& origin = "--queues");

}  // namespace cli
