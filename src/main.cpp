// rindle-worker: runs Rindle's Oban workers in C++ beside an Elixir cluster.
#include <functional>
#include <iostream>
#include <map>

#include "cli/commands.hpp"

namespace {

const std::map<std::string, std::pair<std::function<int(const cli::Args&)>, std::string>>& commands() {
  static const std::map<std::string, std::pair<std::function<int(const cli::Args&)>, std::string>> table{
      {"migrate", {cli::migrate_command, "install or upgrade Oban's schema (and Rindle's tables)"}},
      {"status", {cli::status_command, "show the schema version and job counts"}},
      {"run", {cli::run_command, "run Rindle's workers (and cron) until SIGTERM or SIGINT"}},
      {"insert", {cli::insert_command, "insert one job"}},
      {"pause", {cli::pause_command, "pause a queue on every node, or one (Oban.pause_queue)"}},
      {"resume", {cli::resume_command, "resume a paused queue (Oban.resume_queue)"}},
      {"scale", {cli::scale_command, "change a queue's limit (Oban.scale_queue)"}},
      {"cancel", {cli::cancel_command, "cancel jobs, stopping those executing (Oban.cancel_job)"}},
      {"retry", {cli::retry_command, "make jobs available again (Oban.retry_job)"}},
  };
  return table;
}

void usage() {
  std::cout << "usage: rindle-worker <command> [options]   (rindle-worker <command> --help)\n\ncommands:\n";
  for (const auto& [name, entry] : commands()) std::cout << "  " << name << "\t" << entry.second << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string{argv[1]} == "--help" || std::string{argv[1]} == "-h") {
    usage();
    return argc < 2 ? 2 : 0;
  }
  const auto found = commands().find(argv[1]);
  if (found == commands().end()) {
    std::cerr << "rindle-worker: unknown command '" << argv[1] << "'\n";
    usage();
    return 2;
  }
  try {
    return found->second.first(cli::Args(argv + 2, argv + argc));
  } catch (const std::exception& e) {
    std::cerr << "rindle-worker " << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
}
