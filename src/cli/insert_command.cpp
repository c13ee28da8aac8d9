// rindle-worker insert --worker W [--args JSON] [--queue Q] [--max-attempts N] [--schedule-in S]
#include <boost/program_options.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/parse_options.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/schema.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/json/json_writer.hpp"

namespace po = boost::program_options;

namespace cli {

int insert_command(const Args& args) {
  po::options_description options{"rindle-worker insert: insert one job as Elixir's Oban.insert would"};
  options.add_options()
      ("help,h", "show this help")
      ("worker", po::value<std::string>()->required(), "worker name, e.g. Rindle.Workers.MuxSyncCoordinator")
      ("args", po::value<std::string>()->default_value("{}"), "JSON object")
      ("queue", po::value<std::string>()->default_value("default"), "queue")
      ("max-attempts", po::value<int>()->default_value(20), "attempts before discarding")
      ("priority", po::value<int>(), "0 (highest) .. 9")
      ("schedule-in", po::value<int>(), "seconds from now (makes the job scheduled)")
      ("unique-period", po::value<int>(), "unique over args, queue and worker for this many seconds")
      ("prefix", po::value<std::string>()->default_value(env_or("OBAN_PREFIX", "public")), "schema (env OBAN_PREFIX)");
  const auto parsed = parse_options(args, options);
  if (!parsed) return 0;
  const auto& vars = *parsed;
  oban::NewJob job;
  job.worker = vars["worker"].as<std::string>();
  job.args = vars["args"].as<std::string>();
  job.queue = vars["queue"].as<std::string>();
  job.max_attempts = vars["max-attempts"].as<int>();
  if (vars.count("priority")) job.priority = vars["priority"].as<int>();
  if (vars.count("schedule-in")) {
    job.scheduled_at = oban::SystemClock::instance().now() + std::chrono::seconds{vars["schedule-in"].as<int>()};
  }
  if (vars.count("unique-period")) {
    oban::UniqueOptions unique;
    unique.period = std::chrono::seconds{vars["unique-period"].as<int>()};
    job.unique = unique;
  }
  const auto prefix = vars["prefix"].as<std::string>();
  oban::db::ConnectionPool pool{database_url_from_env(), 2};
  int version = 0;
  {
    auto conn = pool.acquire();
    oban::db::require_runnable_schema(*conn, prefix);
    version = oban::db::schema_version(*conn, prefix);
  }
  oban::Inserter inserter{pool, prefix, oban::SystemClock::instance(), version};
  const auto result = inserter.insert(job);
  std::cout << oban::json::ObjectWriter{}
                   .add("id", result.job.id)
                   .add("state", std::string{oban::to_string(result.job.state)})
                   .add("conflict", result.conflict)
                   .str()
            << "\n";
  return 0;
}

}  // namespace cli
