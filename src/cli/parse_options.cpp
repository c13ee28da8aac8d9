#include "cli/parse_options.hpp"

#include <iostream>

namespace po = boost::program_options;

namespace cli {

std::optional<po::variables_map> parse_options(const Args& args, const po::options_description& options,
                                               const std::string& help_footer) {
  po::variables_map vars;
  po::store(po::command_line_parser(args).options(options).run(), vars);
  if (vars.count("help")) {
    std::cout << options << "\n" << help_footer;
    return std::nullopt;
  }
  po::notify(vars);
  return vars;
}

}  // namespace cli
