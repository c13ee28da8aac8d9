#pragma once
// rindle-worker run's node settings as the CLI parses them, from command-line words: for
// tests of the flags and OBAN_* variables (DATABASE_URL must be set; nothing connects).
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "cli/node_options.hpp"

namespace test_support {

inline oban::NodeConfig node_config_from_words(const std::vector<std::string>& words) {
  boost::program_options::options_description options;
  cli::add_node_options(options);
  boost::program_options::variables_map vars;
  boost::program_options::store(boost::program_options::command_line_parser(words).options(options).run(), vars);
  boost::program_options::notify(vars);
  return cli::node_config_from(vars);
}

}  // namespace test_support
