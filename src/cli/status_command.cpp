// rindle-worker status [--prefix P]: schema version and job counts per queue and state.
#include <boost/program_options.hpp>
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/parse_options.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/schema.hpp"

namespace po = boost::program_options;

namespace cli {

int status_command(const Args& args) {
  po::options_description options{"rindle-worker status: schema version and job counts"};
  options.add_options()
      ("help,h", "show this help")
      ("prefix", po::value<std::string>()->default_value(env_or("OBAN_PREFIX", "public")),
       "schema holding oban_jobs (env OBAN_PREFIX)");
  const auto parsed = parse_options(args, options);
  if (!parsed) return 0;
  const auto& vars = *parsed;
  const auto prefix = vars["prefix"].as<std::string>();
  auto conn = oban::db::connect(database_url_from_env());
  const int version = oban::db::schema_version(*conn, prefix);
  std::cout << "Oban schema version in " << oban::db::quote_ident(prefix) << ": " << version
            << (version == oban::db::kCurrentSchemaVersion ? " (current)" : "") << "\n";
  if (version == 0) return 0;
  pqxx::read_transaction tx{*conn};
  auto rows = tx.exec("SELECT queue, state::text, count(*) FROM " + oban::db::qualified(prefix, "oban_jobs") +
                      " GROUP BY 1, 2 ORDER BY 1, 2");
  std::cout << std::left << std::setw(24) << "queue" << std::setw(12) << "state" << "jobs\n";
  for (const auto& row : rows) {
    std::cout << std::setw(24) << row[0].c_str() << std::setw(12) << row[1].c_str() << row[2].c_str() << "\n";
  }
  if (rows.empty()) std::cout << "(no jobs)\n";
  return 0;
}

}  // namespace cli
