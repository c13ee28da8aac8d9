// rindle-worker run: a node running Rindle's workers until SIGTERM or SIGINT.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/node_options.hpp"
#include "cli/observe_options.hpp"
#include "cli/parse_options.hpp"
#include "cli/rindle_runtime.hpp"
#include "oban/core/telemetry.hpp"
#include "oban/runtime/default_logger.hpp"
#include "oban/runtime/node_observer.hpp"

namespace po = boost::program_options;

namespace cli {

int run_command(const Args& args) {
  po::options_description options{"rindle-worker run: run Rindle's workers on an Oban queue"};
  options.add_options()
      ("help,h", "show this help")
      ("rindle-schema", po::value<std::string>(),
       "schema holding Rindle's tables, independent of --prefix (env RINDLE_SCHEMA; default public)");
  add_node_options(options);
  add_observe_options(options);
  const auto parsed = parse_options(
      args, options,
      "Environment: DATABASE_URL (required), RINDLE_MUX_TOKEN_ID, RINDLE_MUX_TOKEN_SECRET,\n"
      "RINDLE_MUX_BASE_URL (https://api.mux.com), RINDLE_MUX_RATE_LIMIT (5 per second),\n"
      "RINDLE_PROVIDER_POLLING_FLOOR_SECONDS (30), RINDLE_PROVIDER_POLLING_BATCH_SIZE (1000),\n"
      "RINDLE_PROVIDER_STUCK_THRESHOLD_SECONDS (7200), RINDLE_SCHEMA (public).\n"
      "Durations are in seconds. A flag wins over its variable.\n");
  if (!parsed) return 0;
  const auto& vars = *parsed;
  // Block the stop signals in every thread the node starts; this thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const oban::DefaultLogger logger{logger_options_from(vars)};
  const auto observe_options = observe_options_from(vars);
  std::optional<std::string> rindle_schema;
  if (vars.count("rindle-schema")) rindle_schema = vars["rindle-schema"].as<std::string>();
  RindleRuntime runtime{node_config_from(vars), rindle_schema};
  // Before start(), so the first jobs are counted and a port in use stops us before any work.
  std::optional<oban::NodeObserver> observer;
  if (observe_options) observer.emplace(runtime.node(), *observe_options);
  runtime.start();
  int received = 0;
  sigwait(&stop_signals, &received);
  oban::telemetry::emit("node:stopping", oban::telemetry::Level::info,
                        {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  runtime.stop();
  if (const auto left = runtime.node().stragglers(); left > 0) {
    // Jobs that ignored their stop token past the hard deadline still run on their threads
    // (their rows were released for another run). Exit now, before anything they use is
    // destroyed: the process ending is what stops them.
    oban::telemetry::emit("node:exit", oban::telemetry::Level::warning,
                          {{"stragglers", static_cast<std::int64_t>(left)}}, {},
                          "exiting with jobs still running past the hard deadline");
    std::fflush(nullptr);
    std::_Exit(0);
  }
  return 0;
}

}  // namespace cli
