// rindle-worker cancel|retry ID...: Oban.cancel_job and Oban.retry_job from the command line.
#include <boost/program_options.hpp>
#include <algorithm>
#include <iostream>
#include <vector>

#include "cli/commands.hpp"
#include "cli/parse_options.hpp"
#include "oban/client/client.hpp"

namespace po = boost::program_options;

namespace cli {
namespace {

struct JobCommand {
  std::string name;     // "cancel"
  std::string title;    // the --help headline
  std::string done;     // "cancelled"
  std::string refused;  // why an id did not change
};

int run_job_command(const Args& args, const JobCommand& command,
                    std::vector<std::int64_t> (oban::Client::*action)(const std::vector<std::int64_t>&)) {
  po::options_description options{command.title};
  options.add_options()
      ("help,h", "show this help")
      ("id", po::value<std::vector<std::int64_t>>()->multitoken(), "job ids (also given without --id)")
      ("prefix", po::value<std::string>()->default_value(env_or("OBAN_PREFIX", "public")),
       "schema holding oban_jobs (env OBAN_PREFIX)");
  po::positional_options_description positional;
  positional.add("id", -1);
  po::variables_map vars;
  po::store(po::command_line_parser(args).options(options).positional(positional).run(), vars);
  if (vars.count("help")) {
    std::cout << "usage: rindle-worker " << command.name << " ID [ID...]\n\n" << options << "\n"
              << "Exits 1 when some job did not change. DATABASE_URL names the database.\n";
    return 0;
  }
  po::notify(vars);
  if (!vars.count("id")) throw std::invalid_argument("give the ids of the jobs to " + command.name);
  const auto ids = vars["id"].as<std::vector<std::int64_t>>();
  for (const auto id : ids) {
    if (id <= 0) throw std::invalid_argument("job ids are positive integers, got " + std::to_string(id));
  }
  oban::ClientConfig config;
  config.dsn = database_url_from_env();
  config.prefix = vars["prefix"].as<std::string>();
  config.pool_size = 1;
  oban::Client client{config};
  const auto changed = (client.*action)(ids);
  int unchanged = 0;
  for (const auto id : ids) {
    if (std::find(changed.begin(), changed.end(), id) != changed.end()) {
      std::cout << "job " << id << ": " << command.done << "\n";
    } else {
      std::cout << "job " << id << ": not " << command.done << " (" << command.refused << ")\n";
      ++unchanged;
    }
  }
  return unchanged == 0 ? 0 : 1;
}

}  // namespace

int cancel_command(const Args& args) {
  return run_job_command(args,
                         {"cancel",
                          "rindle-worker cancel: cancel jobs as Oban.cancel_job does (an executing job is also "
                          "stopped on the node running it)",
                          "cancelled", "no such job, or it already completed, was discarded or cancelled"},
                         &oban::Client::cancel_jobs);
}

int retry_command(const Args& args) {
  return run_job_command(args,
                         {"retry",
                          "rindle-worker retry: make jobs available again now, as Oban.retry_job does (one "
                          "more attempt if they had none left)",
                          "retried", "no such job, or it is already available or executing"},
                         &oban::Client::retry_jobs);
}

}  // namespace cli
