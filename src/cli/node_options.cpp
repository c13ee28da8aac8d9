#include "cli/node_options.hpp"

#include <algorithm>
#include <chrono>
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

  // The engine's bounds on shutdown and on every database wait (seconds, as text so that a
  // bad value gets an error naming it).
  options.add_options()
      ("shutdown-hard-deadline", po::value<std::string>()->default_value(env_or("OBAN_SHUTDOWN_HARD_DEADLINE", "5")),
       "seconds after the grace that jobs asked to stop get to return; then their jobs are released for another "
       "run and the node exits (env OBAN_SHUTDOWN_HARD_DEADLINE)")
      ("db-connect-timeout", po::value<std::string>()->default_value(env_or("OBAN_DB_CONNECT_TIMEOUT", "10")),
       "seconds to connect to PostgreSQL (env OBAN_DB_CONNECT_TIMEOUT)")
      ("db-acquire-timeout", po::value<std::string>()->default_value(env_or("OBAN_DB_ACQUIRE_TIMEOUT", "5")),
       "seconds to wait for a free pooled connection (env OBAN_DB_ACQUIRE_TIMEOUT)")
      ("db-statement-timeout", po::value<std::string>()->default_value(env_or("OBAN_DB_STATEMENT_TIMEOUT", "15")),
       "seconds a statement on a pooled connection may run, 0 for no limit (env OBAN_DB_STATEMENT_TIMEOUT)");
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

  // The engine's bounds.
  const auto seconds = [&](const char* flag, bool zero_allowed) {
    const std::string text = vars[flag].as<std::string>();
    std::size_t used = 0;
    double value = -1;
    try {
      value = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || !(value >= 0) || value > 86400 || (!zero_allowed && value == 0)) {
      throw std::invalid_argument(std::string{"--"} + flag + " needs a number of seconds" +
                                  (zero_allowed ? "" : " above 0") + ", got '" + text + "'");
    }
    return std::chrono::milliseconds{static_cast<long long>(value * 1000)};
  };
  config.shutdown_hard_deadline = seconds("shutdown-hard-deadline", true);
  config.db_connect_timeout =
      std::chrono::ceil<std::chrono::seconds>(std::max(seconds("db-connect-timeout", false), std::chrono::milliseconds{1000}));
  config.db_acquire_timeout = seconds("db-acquire-timeout", false);
  config.db_statement_timeout = seconds("db-statement-timeout", true);
  return config;
}

}  // namespace cli
