// rindle-worker migrate [--prefix P] [--version N] [--with-rindle]
#include <boost/program_options.hpp>
#include <iostream>

#include "rindle/rindle_schema.hpp"
#include "cli/commands.hpp"
#include "cli/parse_options.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/schema.hpp"

namespace po = boost::program_options;

namespace cli {

int migrate_command(const Args& args) {
  po::options_description options{"rindle-worker migrate: install or upgrade Oban's schema"};
  options.add_options()
      ("help,h", "show this help")
      ("prefix", po::value<std::string>()->default_value(env_or("OBAN_PREFIX", "public")),
       "schema holding oban_jobs (env OBAN_PREFIX)")
      ("version", po::value<int>()->default_value(oban::db::kCurrentSchemaVersion), "target version (1..14)")
      ("with-rindle", po::bool_switch(), "also create Rindle's media_assets and media_provider_assets");
  const auto parsed = parse_options(args, options, "DATABASE_URL names the database.\n");
  if (!parsed) return 0;
  const auto& vars = *parsed;
  const auto prefix = vars["prefix"].as<std::string>();
  auto conn = oban::db::connect(database_url_from_env());
  const auto result = oban::db::migrate(*conn, prefix, vars["version"].as<int>());
  std::cout << result.message << "\n";
  if (vars["with-rindle"].as<bool>()) {
    rindle::install_rindle_tables(*conn, prefix);
    std::cout << "Rindle tables present in schema " << prefix << "\n";
  }
  return 0;
}

}  // namespace cli
