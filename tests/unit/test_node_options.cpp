// rindle-worker run's settings: every flag and OBAN_* variable reaches the NodeConfig, a flag
// wins over its variable, defaults are the documented ones, and bad values get an error
// naming the flag or variable and the value.
#include <catch2/catch.hpp>

#include <initializer_list>

#include "support/node_words.hpp"
#include "support/scoped_env.hpp"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using test_support::ScopedEnv;

namespace {

// Every variable the node options read, unset for the test, so the machine's environment
// cannot leak in; DATABASE_URL set to a dummy (nothing connects).
class CleanEnv {
 public:
  CleanEnv() {
    for (const char* name :
         {"OBAN_QUEUES", "OBAN_NODE", "OBAN_PREFIX", "OBAN_POLL_INTERVAL", "OBAN_PEER_NAME", "OBAN_CRON",
          "OBAN_CRON_TIMEZONE", "OBAN_CRON_DELAY", "OBAN_NO_CRON", "OBAN_PRUNER", "OBAN_PRUNER_MAX_AGE",
          "OBAN_PRUNER_LIMIT", "OBAN_PRUNER_INTERVAL", "OBAN_LIFELINE", "OBAN_LIFELINE_RESCUE_AFTER",
          "OBAN_LIFELINE_INTERVAL", "OBAN_NOTIFIER_PING_INTERVAL", "OBAN_NOTIFIER_PING_TIMEOUT",
          "OBAN_NO_NOTIFICATIONS", "OBAN_ALL_WORKERS", "OBAN_SHUTDOWN_GRACE", "OBAN_DISPATCH_COOLDOWN"}) {
      vars_.push_back(std::make_unique<ScopedEnv>(name, std::nullopt));
    }
    vars_.push_back(std::make_unique<ScopedEnv>("DATABASE_URL", "postgres://app:secret@db.invalid/app"));
  }

 private:
  std::vector<std::unique_ptr<ScopedEnv>> vars_;
};

oban::NodeConfig parse(const std::vector<std::string>& words) { return test_support::node_config_from_words(words); }

std::string error_of(const std::vector<std::string>& words) {
  try {
    parse(words);
  } catch (const std::exception& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("node options: the defaults", "[cli]") {
  CleanEnv env;
  const auto config = parse({});
  CHECK(config.queues == std::map<std::string, int>{{"rindle_provider", 4}});
  CHECK(config.prefix == "public");
  CHECK(config.poll_interval == 1000ms);
  CHECK(config.dispatch_cooldown == 5ms);  // Oban's
  CHECK(config.shutdown_grace == 15000ms);
  CHECK(config.peer_name == "oban-cpp");
  CHECK_FALSE(config.joins_elixir_election());
  REQUIRE(config.crontab.size() == 1);
  CHECK(config.crontab[0].worker == "Rindle.Workers.MuxSyncCoordinator");
  CHECK(config.cron_delay == 5000ms);
  CHECK_FALSE(config.pruner.has_value());
  CHECK_FALSE(config.pruner_enabled());
  CHECK(config.prune_max_age == 60s);
  CHECK(config.prune_limit == 10000);
  CHECK(config.prune_interval == 30000ms);
  CHECK_FALSE(config.lifeline.has_value());
  CHECK(config.lifeline_enabled());
  CHECK(config.rescue_after == 3600000ms);
  CHECK(config.rescue_interval == 60000ms);
  CHECK(config.notifier.ping_interval == 10000ms);
  CHECK(config.notifier.ping_timeout == 5000ms);
  CHECK(config.notifications);
  CHECK(config.only_registered_workers);
}

TEST_CASE("node options: joined as Oban, the lifeline defaults to off", "[cli]") {
  CleanEnv env;
  const auto config = parse({"--peer-name", "Oban"});
  CHECK(config.joins_elixir_election());
  CHECK_FALSE(config.lifeline_enabled());
  CHECK_FALSE(config.pruner_enabled());
  CHECK(parse({"--peer-name", "Oban", "--lifeline", "on"}).lifeline_enabled());
}

TEST_CASE("node options: every plugin flag reaches the config", "[cli]") {
  CleanEnv env;
  const auto config = parse({"--pruner", "on", "--pruner-max-age", "86400", "--pruner-limit", "500",
                             "--pruner-interval", "12.5", "--lifeline", "on", "--lifeline-rescue-after", "14400",
                             "--lifeline-interval", "30", "--cron-delay", "2.5", "--notifier-ping-interval", "3",
                             "--notifier-ping-timeout", "1.5", "--poll-interval", "0.25", "--shutdown-grace", "0"});
  CHECK(config.pruner == true);
  CHECK(config.prune_max_age == 86400s);
  CHECK(config.prune_limit == 500);
  CHECK(config.prune_interval == 12500ms);
  CHECK(config.lifeline == true);
  CHECK(config.rescue_after == 4h);
  CHECK(config.rescue_interval == 30s);
  CHECK(config.cron_delay == 2500ms);
  CHECK(config.notifier.ping_interval == 3s);
  CHECK(config.notifier.ping_timeout == 1500ms);
  CHECK(config.poll_interval == 250ms);
  CHECK(config.shutdown_grace == 0ms);
  CHECK(parse({"--lifeline", "off"}).lifeline == false);
  CHECK(parse({"--pruner", "off"}).pruner == false);
  CHECK(parse({"--cron-delay", "0"}).cron_delay == 0ms);
}

TEST_CASE("node options: every plugin variable reaches the config, and a flag wins over it", "[cli]") {
  CleanEnv env;
  ScopedEnv pruner{"OBAN_PRUNER", "on"}, max_age{"OBAN_PRUNER_MAX_AGE", "3600"}, limit{"OBAN_PRUNER_LIMIT", "7"},
      interval{"OBAN_PRUNER_INTERVAL", "5"}, lifeline{"OBAN_LIFELINE", "true"},
      rescue{"OBAN_LIFELINE_RESCUE_AFTER", "7200"}, rescue_interval{"OBAN_LIFELINE_INTERVAL", "20"},
      delay{"OBAN_CRON_DELAY", "3"}, ping{"OBAN_NOTIFIER_PING_INTERVAL", "4"}, timeout{"OBAN_NOTIFIER_PING_TIMEOUT", "2"},
      peer{"OBAN_PEER_NAME", "Oban"};
  const auto config = parse({});
  CHECK(config.joins_elixir_election());
  CHECK(config.pruner == true);
  CHECK(config.prune_max_age == 3600s);
  CHECK(config.prune_limit == 7);
  CHECK(config.prune_interval == 5s);
  CHECK(config.lifeline == true);
  CHECK(config.rescue_after == 2h);
  CHECK(config.rescue_interval == 20s);
  CHECK(config.cron_delay == 3s);
  CHECK(config.notifier.ping_interval == 4s);
  CHECK(config.notifier.ping_timeout == 2s);
  const auto flags = parse({"--pruner-max-age", "60", "--cron-delay", "1", "--peer-name", "oban-cpp"});
  CHECK(flags.prune_max_age == 60s);
  CHECK(flags.cron_delay == 1s);
  CHECK_FALSE(flags.joins_elixir_election());
}

TEST_CASE("node options: the dispatch cooldown, in milliseconds as Oban's", "[cli]") {
  CleanEnv env;
  CHECK(parse({"--dispatch-cooldown", "20"}).dispatch_cooldown == 20ms);
  CHECK(parse({"--dispatch-cooldown", "0"}).dispatch_cooldown == 0ms);
  ScopedEnv cooldown{"OBAN_DISPATCH_COOLDOWN", "12"};
  CHECK(parse({}).dispatch_cooldown == 12ms);
  CHECK(parse({"--dispatch-cooldown", "3"}).dispatch_cooldown == 3ms);
  CHECK_THAT(error_of({"--dispatch-cooldown", "2.5"}),
             Equals("--dispatch-cooldown must be a whole number of milliseconds, 0 or more, got '2.5'"));
  CHECK_THAT(error_of({"--dispatch-cooldown=-1"}), Contains("--dispatch-cooldown") && Contains("'-1'"));
  ScopedEnv bad{"OBAN_DISPATCH_COOLDOWN", "5ms"};
  CHECK_THAT(error_of({}), Equals("OBAN_DISPATCH_COOLDOWN must be a whole number of milliseconds, 0 or more, got '5ms'"));
}

TEST_CASE("node options: a bad number names the flag or variable and the value", "[cli]") {
  CleanEnv env;
  {
    ScopedEnv poll{"OBAN_POLL_INTERVAL", "abc"};
    CHECK_THAT(error_of({}), Equals("OBAN_POLL_INTERVAL must be a number of seconds above 0, got 'abc'"));
    // The flag wins over a bad variable.
    CHECK(parse({"--poll-interval", "2"}).poll_interval == 2s);
  }
  CHECK_THAT(error_of({"--poll-interval", "0"}), Equals("--poll-interval must be a number of seconds above 0, got '0'"));
  CHECK_THAT(error_of({"--poll-interval", "1s"}), Contains("--poll-interval") && Contains("'1s'"));
  CHECK_THAT(error_of({"--shutdown-grace=-1"}), Contains("--shutdown-grace") && Contains("'-1'"));
  {
    ScopedEnv grace{"OBAN_SHUTDOWN_GRACE", "soon"};
    CHECK_THAT(error_of({}), Contains("OBAN_SHUTDOWN_GRACE") && Contains("'soon'"));
  }
  CHECK_THAT(error_of({"--pruner", "on", "--pruner-limit", "1.5"}),
             Equals("--pruner-limit must be a whole number above 0, got '1.5'"));
  {
    ScopedEnv max_age{"OBAN_PRUNER_MAX_AGE", "1d"}, pruner{"OBAN_PRUNER", "on"};
    CHECK_THAT(error_of({}), Equals("OBAN_PRUNER_MAX_AGE must be a whole number above 0, got '1d'"));
  }
  CHECK_THAT(error_of({"--lifeline-rescue-after", "nan"}), Contains("--lifeline-rescue-after") && Contains("'nan'"));
  CHECK_THAT(error_of({"--lifeline-interval", "inf"}), Contains("--lifeline-interval") && Contains("'inf'"));
  CHECK_THAT(error_of({"--notifier-ping-timeout", "0"}), Contains("--notifier-ping-timeout") && Contains("'0'"));
  CHECK_THAT(error_of({"--cron-delay", "60"}), Equals("--cron-delay must be under 60 seconds, got '60'"));
  CHECK_THAT(error_of({"--cron-delay=-1"}), Contains("--cron-delay") && Contains("'-1'"));
  {
    ScopedEnv delay{"OBAN_CRON_DELAY", "x"};
    CHECK_THAT(error_of({}), Contains("OBAN_CRON_DELAY") && Contains("'x'"));
  }
}

TEST_CASE("node options: on/off settings are checked", "[cli]") {
  CleanEnv env;
  CHECK_THAT(error_of({"--pruner", "maybe"}), Equals("--pruner must be on or off, got 'maybe'"));
  CHECK_THAT(error_of({"--lifeline", "enabled"}), Equals("--lifeline must be on or off, got 'enabled'"));
  {
    ScopedEnv flag{"OBAN_NO_NOTIFICATIONS", "perhaps"};
    CHECK_THAT(error_of({}), Equals("OBAN_NO_NOTIFICATIONS must be on or off, got 'perhaps'"));
  }
  {
    ScopedEnv flag{"OBAN_NO_CRON", "1"};
    CHECK(parse({}).crontab.empty());
  }
  {
    ScopedEnv flag{"OBAN_ALL_WORKERS", "yes"};
    CHECK_FALSE(parse({}).only_registered_workers);
  }
}

TEST_CASE("node options: a setting for a plugin that is off is an error", "[cli]") {
  CleanEnv env;
  CHECK_THAT(error_of({"--pruner-max-age", "86400"}),
             Contains("--pruner-max-age is set but the pruner is off") && Contains("--pruner on"));
  CHECK_THAT(error_of({"--pruner", "off", "--pruner-interval", "5"}), Contains("--pruner-interval is set"));
  CHECK_THAT(error_of({"--peer-name", "Oban", "--lifeline-rescue-after", "14400"}),
             Contains("--lifeline-rescue-after is set but the lifeline is off") && Contains("joined as \"Oban\""));
  CHECK_THAT(error_of({"--lifeline", "off", "--lifeline-interval", "5"}), Contains("--lifeline-interval is set"));
}

TEST_CASE("node options: --queues must name a queue, or say none", "[cli]") {
  CleanEnv env;
  CHECK_THAT(error_of({"--queues", ""}), Contains("--queues names no queue") && Contains("'none'"));
  CHECK_THAT(error_of({"--queues", ","}), Contains("--queues names no queue"));
  CHECK_THAT(error_of({"--queues", "rindle_provider"}), Contains("must be written queue:limit"));
  CHECK_THAT(error_of({"--queues", "a:0"}), Contains("positive whole limit"));
  CHECK_THAT(error_of({"--queues", "a:1,a:2"}), Contains("'a' is listed twice"));
  CHECK_THAT(error_of({"--queues", "none,a:1"}), Contains("'none' cannot be combined"));
  CHECK(parse({"--queues", "none"}).queues.empty());
  CHECK(parse({"--queues", "a:1", "--queues", "b:2"}).queues == std::map<std::string, int>{{"a", 1}, {"b", 2}});
  {
    ScopedEnv queues{"OBAN_QUEUES", "rindle_provider"};
    CHECK_THAT(error_of({}), Contains("OBAN_QUEUES: queue 'rindle_provider' must be written queue:limit"));
  }
}
