#include "cli/node_options.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <stdexcept>

#include "cli/setting.hpp"

namespace po = boost::program_options;

namespace cli {
namespace {

// Rindle's guide runs `queues: [rindle_provider: 4]` and the coordinator every minute.
constexpr const char* kDefaultQueues = "rindle_provider:4";
constexpr const char* kDefaultCron = "* * * * * Rindle.Workers.MuxSyncCoordinator";
constexpr const char* kNoQueues = "none";

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream in{text};
  for (std::string part; std::getline(in, part, separator);) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::chrono::milliseconds milliseconds_of(double seconds) {
  return std::chrono::milliseconds{static_cast<long>(seconds * 1000 + 0.5)};
}

}  // namespace

std::map<std::string, int> parse_queues(const std::vector<std::string>& specs, const std::string& origin) {
  std::map<std::string, int> queues;
  bool none = false;
  for (const auto& spec : specs) {
    for (const auto& item : split(spec, ',')) {
      if (item == kNoQueues) {
        none = true;
        continue;
      }
      const auto colon = item.rfind(':');
      if (colon == std::string::npos || colon == 0) {
        throw std::invalid_argument(origin + ": queue '" + item + "' must be written queue:limit, e.g. rindle_provider:4");
      }
      int limit = 0;
      try {
        std::size_t used = 0;
        limit = std::stoi(item.substr(colon + 1), &used);
        if (used != item.size() - colon - 1 || limit <= 0) throw std::invalid_argument("limit");
      } catch (const std::exception&) {
        throw std::invalid_argument(origin + ": queue '" + item + "' needs a positive whole limit after the colon");
      }
      if (!queues.emplace(item.substr(0, colon), limit).second) {
        throw std::invalid_argument(origin + ": queue '" + item.substr(0, colon) + "' is listed twice");
      }
    }
  }
  if (none && !queues.empty()) throw std::invalid_argument(origin + ": 'none' cannot be combined with queues");
  if (!none && queues.empty()) {
    throw std::invalid_argument(origin + " names no queue: give queue:limit (e.g. rindle_provider:4), or '" +
                                kNoQueues + "' to run no queues (leader duties only)");
  }
  return queues;
}

void add_node_options(po::options_description& options) {
  const auto text = [] { return po::value<std::string>(); };
  options.add_options()
      ("queues", po::value<std::vector<std::string>>()->composing(),
       "queue:limit, repeatable or comma-separated; 'none' runs no queues (env OBAN_QUEUES; default rindle_provider:4)")
      ("node", text(), "node name in attempted_by and oban_peers (env OBAN_NODE; default <hostname>-<pid>)")
      ("prefix", text(), "schema holding oban_jobs (env OBAN_PREFIX; default public)")
      ("poll-interval", text(), "seconds between fetches without notifications (env OBAN_POLL_INTERVAL; default 1)")
      ("dispatch-cooldown", text(),
       "milliseconds, as Oban's dispatch_cooldown: while jobs wait, a fetch for less than half a queue's limit waits "
       "this long after the last fetch; never after a fetch that came back short; 0: never waits "
       "(env OBAN_DISPATCH_COOLDOWN; default 5)")
      ("peer-name", text(),
       "election name (env OBAN_PEER_NAME; default oban-cpp: C++ nodes elect their own leader, which touches only "
       "their own workers' jobs; \"Oban\" joins the Elixir election, whose leader looks after every job)")
      ("cron", po::value<std::vector<std::string>>()->composing(),
       "'EXPR WORKER [JSON_ARGS]', repeatable (env OBAN_CRON, ';'-separated; default: the coordinator every minute)")
      ("cron-timezone", text(), "IANA zone cron is evaluated in (env OBAN_CRON_TIMEZONE; default Etc/UTC)")
      ("cron-delay", text(),
       "seconds after each minute's boundary before cron inserts that minute's jobs, skipping any entry a node "
       "(e.g. Elixir's Cron, which inserts within the first second) already inserted; 0 to under 60 "
       "(env OBAN_CRON_DELAY; default 5)")
      ("no-cron", po::bool_switch(), "insert no cron jobs (env OBAN_NO_CRON=1)")
      ("pruner", text(),
       "on|off: delete finished jobs older than --pruner-max-age; scope: this node's workers' jobs, or every job "
       "when joined as \"Oban\" (env OBAN_PRUNER; default off: the Elixir side decides how long jobs are kept)")
      ("pruner-max-age", text(), "Pruner max_age in seconds (env OBAN_PRUNER_MAX_AGE; default 60, Oban's)")
      ("pruner-limit", text(), "Pruner limit, jobs per run (env OBAN_PRUNER_LIMIT; default 10000, Oban's)")
      ("pruner-interval", text(), "Pruner interval in seconds (env OBAN_PRUNER_INTERVAL; default 30, Oban's)")
      ("lifeline", text(),
       "on|off: put jobs executing longer than --lifeline-rescue-after back to available (or discard them); scope: "
       "this node's workers' jobs, or every job when joined as \"Oban\" (env OBAN_LIFELINE; default on under this "
       "node's own election name, off when joined as \"Oban\")")
      ("lifeline-rescue-after", text(),
       "Lifeline rescue_after in seconds (env OBAN_LIFELINE_RESCUE_AFTER; default 3600, Oban's)")
      ("lifeline-interval", text(), "Lifeline interval in seconds (env OBAN_LIFELINE_INTERVAL; default 60, Oban's)")
      ("notifier-ping-interval", text(),
       "seconds between pings of the LISTEN connection (env OBAN_NOTIFIER_PING_INTERVAL; default 10)")
      ("notifier-ping-timeout", text(),
       "seconds a ping may go unanswered before the LISTEN connection is replaced "
       "(env OBAN_NOTIFIER_PING_TIMEOUT; default 5)")
      ("no-notifications", po::bool_switch(), "poll only, no LISTEN (env OBAN_NO_NOTIFICATIONS=1)")
      ("all-workers", po::bool_switch(),
       "fetch every job of the queues, unknown workers fail as in Elixir (env OBAN_ALL_WORKERS=1)")
      ("shutdown-grace", text(),
       "seconds running jobs get to finish on SIGTERM/SIGINT (env OBAN_SHUTDOWN_GRACE; default 15)");

  // The engine's bounds on shutdown and on every database wait.
  options.add_options()
      ("shutdown-hard-deadline", text(),
       "seconds after the grace that jobs asked to stop get to return; then their jobs are released for another "
       "run and the node exits (env OBAN_SHUTDOWN_HARD_DEADLINE; default 5)")
      ("db-connect-timeout", text(), "seconds to connect to PostgreSQL, at least 1 (env OBAN_DB_CONNECT_TIMEOUT; default 10)")
      ("db-acquire-timeout", text(),
       "seconds to wait for a free pooled connection (env OBAN_DB_ACQUIRE_TIMEOUT; default 5)")
      ("db-statement-timeout", text(),
       "seconds a statement on a pooled connection may run, 0 for no limit (env OBAN_DB_STATEMENT_TIMEOUT; default 15)");
}

oban::NodeConfig node_config_from(const po::variables_map& vars) {
  oban::NodeConfig config;
  config.dsn = database_url_from_env();
  const auto setting = [&](const char* flag, const char* env) { return Setting::lookup(vars, flag, env); };
  const auto text_or = [&](const char* flag, const char* env, const std::string& fallback) {
    const auto found = setting(flag, env);
    return found ? found->text : fallback;
  };
  // Reads a duration in seconds into `target` when given; returns the setting found.
  const auto seconds = [&](const char* flag, const char* env, std::chrono::milliseconds& target) {
    auto found = setting(flag, env);
    if (found) target = milliseconds_of(found->seconds());
    return found;
  };

  config.prefix = text_or("prefix", "OBAN_PREFIX", "public");
  config.node = text_or("node", "OBAN_NODE", "");
  if (vars.count("queues")) {
    config.queues = parse_queues(vars["queues"].as<std::vector<std::string>>(), "--queues");
  } else {
    const auto env = env_or("OBAN_QUEUES", "");
    config.queues = env.empty() ? parse_queues({kDefaultQueues}) : parse_queues({env}, "OBAN_QUEUES");
  }
  seconds("poll-interval", "OBAN_POLL_INTERVAL", config.poll_interval);
  if (const auto cooldown = setting("dispatch-cooldown", "OBAN_DISPATCH_COOLDOWN")) {
    config.dispatch_cooldown = std::chrono::milliseconds{cooldown->milliseconds()};
  }
  if (const auto grace = setting("shutdown-grace", "OBAN_SHUTDOWN_GRACE")) {
    config.shutdown_grace = milliseconds_of(grace->seconds(true));
  }
  config.peer_name = text_or("peer-name", "OBAN_PEER_NAME", config.peer_name);
  config.notifications = !switch_setting(vars, "no-notifications", "OBAN_NO_NOTIFICATIONS");
  config.only_registered_workers = !switch_setting(vars, "all-workers", "OBAN_ALL_WORKERS");
  seconds("notifier-ping-interval", "OBAN_NOTIFIER_PING_INTERVAL", config.notifier.ping_interval);
  seconds("notifier-ping-timeout", "OBAN_NOTIFIER_PING_TIMEOUT", config.notifier.ping_timeout);

  config.cron_timezone = text_or("cron-timezone", "OBAN_CRON_TIMEZONE", config.cron_timezone);
  if (const auto delay = setting("cron-delay", "OBAN_CRON_DELAY")) {
    const double value = delay->seconds(true);
    if (value >= 60) throw std::invalid_argument(delay->origin + " must be under 60 seconds, got '" + delay->text + "'");
    config.cron_delay = milliseconds_of(value);
  }
  if (!switch_setting(vars, "no-cron", "OBAN_NO_CRON")) {
    std::vector<std::string> entries = vars.count("cron") ? vars["cron"].as<std::vector<std::string>>()
                                                          : split(env_or("OBAN_CRON", kDefaultCron), ';');
    for (const auto& entry : entries) config.crontab.push_back(oban::plugins::CronEntry::parse(entry));
  }

  if (const auto pruner = setting("pruner", "OBAN_PRUNER")) config.pruner = pruner->on_off();
  std::vector<std::string> pruner_settings;
  if (const auto max_age = setting("pruner-max-age", "OBAN_PRUNER_MAX_AGE")) {
    config.prune_max_age = std::chrono::seconds{max_age->positive_integer()};
    pruner_settings.push_back(max_age->origin);
  }
  if (const auto limit = setting("pruner-limit", "OBAN_PRUNER_LIMIT")) {
    config.prune_limit = static_cast<int>(std::min<long>(limit->positive_integer(), 1'000'000'000));
    pruner_settings.push_back(limit->origin);
  }
  if (const auto interval = seconds("pruner-interval", "OBAN_PRUNER_INTERVAL", config.prune_interval)) {
    pruner_settings.push_back(interval->origin);
  }
  if (const auto lifeline = setting("lifeline", "OBAN_LIFELINE")) config.lifeline = lifeline->on_off();
  std::vector<std::string> lifeline_settings;
  if (const auto rescue_after = seconds("lifeline-rescue-after", "OBAN_LIFELINE_RESCUE_AFTER", config.rescue_after)) {
    lifeline_settings.push_back(rescue_after->origin);
  }
  if (const auto interval = seconds("lifeline-interval", "OBAN_LIFELINE_INTERVAL", config.rescue_interval)) {
    lifeline_settings.push_back(interval->origin);
  }
  // A setting for a plugin that is off is a mistake the operator should hear about, not a
  // silent no-op (nor a silent "on").
  if (!config.pruner_enabled() && !pruner_settings.empty()) {
    throw std::invalid_argument(pruner_settings.front() + " is set but the pruner is off (the default): add --pruner on "
                                "(or OBAN_PRUNER=on), or drop the setting");
  }
  if (!config.lifeline_enabled() && !lifeline_settings.empty()) {
    throw std::invalid_argument(lifeline_settings.front() + " is set but the lifeline is off" +
                                (config.lifeline ? "" : " (the default when joined as \"Oban\")") +
                                ": add --lifeline on (or OBAN_LIFELINE=on), or drop the setting");
  }

  // The engine's bounds.
  if (const auto hard = setting("shutdown-hard-deadline", "OBAN_SHUTDOWN_HARD_DEADLINE")) {
    config.shutdown_hard_deadline = milliseconds_of(hard->seconds(true));
  }
  if (const auto connect = setting("db-connect-timeout", "OBAN_DB_CONNECT_TIMEOUT")) {
    // libpq's connect_timeout counts whole seconds, and 1 is its least.
    config.db_connect_timeout = std::chrono::ceil<std::chrono::seconds>(
        std::max(milliseconds_of(connect->seconds()), std::chrono::milliseconds{1000}));
  }
  seconds("db-acquire-timeout", "OBAN_DB_ACQUIRE_TIMEOUT", config.db_acquire_timeout);
  if (const auto statement = setting("db-statement-timeout", "OBAN_DB_STATEMENT_TIMEOUT")) {
    config.db_statement_timeout = milliseconds_of(statement->seconds(true));
  }
  return config;
}

}  // namespace cli
