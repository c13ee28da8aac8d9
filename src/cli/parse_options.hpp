#pragma once
// The parsing every subcommand does: read its flags, or print its help.
#include <boost/program_options.hpp>
#include <optional>
#include <string>

#include "cli/commands.hpp"

namespace cli {

// The parsed flags, or nullopt after printing `options` and `help_footer` for --help
// (checked before required flags are enforced, so help always works).
std::optional<boost::program_options::variables_map> parse_options(
    const Args& args, const boost::program_options::options_description& options, const std::string& help_footer = "");

}  // namespace cli
