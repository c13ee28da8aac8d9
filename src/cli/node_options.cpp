#include "cli/node_options.hpp"

#include <sstream>
#include <stdexcept>

#include "rindle/mux_sync_coordinator.hpp"

namespace po = boost::program_options;

namespace cli {
namespace {

// Rindle's guide runs `queues: [rindle_provider: 4]` and the coordinator every minute.
constexpr const char* kDefaultQueues = "rindle_provider:4";
constexpr const char* kDefaultCron = "* * * * * Rindle.Workers.MuxSyncCoordinator";

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in{text};
  for (std::string part; std::getline(in, part, separator);) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

bool env_flag(const char* name) {
  const auto value = env_or(name, "");
  return value == "1" || value == "true" || value == "yes";
}

}  // namespace

std::map<std::string, int> parse_queues(const std::vector<std::string>& specs) {
  std::map<std::string, int> queues;
  for (const auto& spec : specs) {
    for (const auto& item : split(spec, ',')) {
      const auto colon = item.rfind(':');
      if (colon == std::string::npos || colon == 0) {
        throw std::invalid_argument("queue '" + item + "' must be written queue:limit, e.g. rindle_provider:4");
      }
      try {
        std::size_t used = 0;
        const int limit = std::stoi(item.substr(colon + 1), &used);
        if (used != item.size() - colon - 1 || limit <= 0) throw std::invalid_argument("limit");
        queues[item.substr(0, colon)] = limit;
      } catch (const std::exception&) {
        throw std::invalid_argument("queue '" + item + "' needs a positive whole limit after the colon");
      }
    }
  }
  return queues;
}

void add_node_options(po::options_description& options) {
  options.add_options()
      ("queues", po::value<std::vector<std::string>>()->composing(),
       "queue:limit, repeatable or comma-separated (env OBAN_QUEUES; default rindle_provider:4)")
      ("node", po::value<std::string>()->default_value(env_or("OBAN_NODE", "")),
       "node name in attempted_by and oban_peers (env OBAN_NODE; default <hostname>-<pid>)")
      ("prefix", po::value<std::string>()->default_value(env_or("OBAN_PREFIX", "public")),
       "schema holding oban_jobs (env OBAN_PREFIX)")
      ("poll-interval", po::value<double>()->default_value(std::stod(env_or("OBAN_POLL_INTERVAL", "1"))),
       "seconds between fetches without notifications (env OBAN_POLL_INTERVAL)")
      ("peer-name", po::value<std::string>()->default_value(env_or("OBAN_PEER_NAME", "oban-cpp")),
       "oban_peers name; \"Oban\" joins the Elixir election (env OBAN_PEER_NAME)")
      ("cron", po::value<std::vector<std::string>>()->composing(),
       "'EXPR WORKER [JSON_ARGS]', repeatable (env OBAN_CRON, ';'-separated; default: the coordinator every minute)")
      ("cron-timezone", po::value<std::string>()->default_value(env_or("OBAN_CRON_TIMEZONE", "Etc/UTC")),
       "IANA zone cron is evaluated in (env OBAN_CRON_TIMEZONE)")
      ("no-cron", po::bool_switch()->default_value(env_flag("OBAN_NO_CRON")), "insert no cron jobs (env OBAN_NO_CRON=1)")
      ("no-notifications", po::bool_switch()->default_value(env_flag("OBAN_NO_NOTIFICATIONS")),
       "poll only, no LISTEN (env OBAN_NO_NOTIFICATIONS=1)")
      ("all-workers", po::bool_switch()->default_value(env_flag("OBAN_ALL_WORKERS")),
       "fetch every job of the queues, unknown workers fail as in Elixir (env OBAN_ALL_WORKERS=1)")
      ("shutdown-grace", po::value<double>()->default_value(std::stod(env_or("OBAN_SHUTDOWN_GRACE", "15"))),
       "seconds running jobs get to finish on SIGTERM/SIGINT (env OBAN_SHUTDOWN_GRACE)");
}

oban::NodeConfig node_config_from(const po::variables_map& vars) {
  oban::NodeConfig config;
  config.dsn = database_url_from_env();
  config.prefix = vars["prefix"].as<std::string>();
  config.node = vars["node"].as<std::string>();
  std::vector<std::string> queue_specs =
      vars.count("queues") ? vars["queues"].as<std::vector<std::string>>()
                           : std::vector<std::string>{env_or("OBAN_QUEUES", kDefaultQueues)};
  config.queues = parse_queues(queue_specs);
  const double poll = vars["poll-interval"].as<double>();
  if (poll <= 0) throw std::invalid_argument("--poll-interval must be positive");
  config.poll_interval = std::chrono::milliseconds{static_cast<long>(poll * 1000)};
  const double grace = vars["shutdown-grace"].as<double>();
  if (grace < 0) throw std::invalid_argument("--shutdown-grace must not be negative");
  config.shutdown_grace = std::chrono::milliseconds{static_cast<long>(grace * 1000)};
  config.peer_name = vars["peer-name"].as<std::string>();
  config.notifications = !vars["no-notifications"].as<bool>();
  config.only_registered_workers = !vars["all-workers"].as<bool>();
  config.cron_timezone = vars["cron-timezone"].as<std::string>();
  if (!vars["no-cron"].as<bool>()) {
    std::vector<std::string> entries = vars.count("cron") ? vars["cron"].as<std::vector<std::string>>()
                                                          : split(env_or("OBAN_CRON", kDefaultCron), ';');
    for (const auto& entry : entries) config.crontab.push_back(oban::plugins::CronEntry::parse(entry));
  }
  return config;
}

}  // namespace cli
