// Pruner and Lifeline as a guest: under its own election name a running Node touches only
// its own workers' rows (and prunes nothing unless told to); joined as "Oban" it prunes and
// rescues the whole table as Oban's plugins do, once turned on. Every setting is reached
// through rindle-worker's flags, and each changes what the plugins do.
#include <catch2/catch.hpp>

#include "guest_test_helpers.hpp"
#include "oban/plugins/cron.hpp"
#include "oban/plugins/lifeline.hpp"
#include "oban/plugins/pruner.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"
#include "support/test_database.hpp"

using namespace std::chrono_literals;
using namespace guest_test;
using test_support::TestSchema;

namespace {

// The C++ node's one worker, on a queue of its own.
class CppWorker final : public oban::Worker {
 public:
  std::string name() const override { return kCppWorker; }
  oban::WorkerOptions options() const override {
    oban::WorkerOptions o;
    o.queue = "cpp_sync";
    return o;
  }
  oban::JobResult perform(oban::JobContext&) override { return oban::JobResult::ok(); }
};

oban::WorkerRegistry cpp_registry() {
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<CppWorker>());
  return registry;
}

// The rows an Elixir cluster has beside the C++ node's: old finished jobs (two days, older
// than any max_age used here) and jobs executing for five hours, of both workers. None is on
// a queue the node runs, so a rescued job stays available for the test to see.
struct Rows {
  std::int64_t elixir_completed, elixir_discarded, elixir_executing;
  std::int64_t cpp_completed, cpp_cancelled, cpp_executing;

  Rows(TestSchema& schema, oban::Timestamp now)
      : elixir_completed(insert_finished(schema, kElixirWorker, "completed", now - 48h)),
        elixir_discarded(insert_finished(schema, kElixirWorker, "discarded", now - 48h)),
        elixir_executing(insert_executing(schema, kElixirWorker, now - 5h)),
        cpp_completed(insert_finished(schema, kCppWorker, "completed", now - 48h)),
        cpp_cancelled(insert_finished(schema, kCppWorker, "cancelled", now - 48h)),
        cpp_executing(insert_executing(schema, kCppWorker, now - 5h, "cpp-dead-node", 3)) {}
};

struct GuestNode {
  // `words` are rindle-worker run's flags; the plugin intervals are short so a few runs
  // happen quickly, unless the words set them.
  GuestNode(TestSchema& schema, std::vector<std::string> words, bool default_intervals = false)
      : env_url("DATABASE_URL", schema.dsn()), registry(cpp_registry()) {
    std::vector<std::string> all{"--queues", "cpp_sync:1", "--no-cron", "--prefix", schema.prefix(), "--node",
                                 "cpp-guest-1", "--poll-interval", "0.05"};
    all.insert(all.end(), words.begin(), words.end());
    config = node_config_from_words(all);
    config.stage_interval = 20ms;
    if (!default_intervals) {
      config.prune_interval = 20ms;
      config.rescue_interval = 20ms;
    }
    node = std::make_unique<oban::Node>(config, registry, clock);
    oban::internals(*node).set_leader_check([] { return true; });  // this node leads its election
  }

  // Starts, and waits until each enabled maintenance plugin has run at least three times.
  void run_plugins() {
    node->start();
    const auto runs = [&](const char* plugin) { return recorder.plugin_runs(plugin); };
    const bool ok = cluster_wait([&] {
      return (!oban::internals(*node).pruner() || runs("Oban.Plugins.Pruner") >= 3) &&
             (!oban::internals(*node).lifeline() || runs("Oban.Plugins.Lifeline") >= 3) && runs("Oban.Stager") >= 1;
    });
    REQUIRE(ok);
  }

  static bool cluster_wait(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  oban::Value::Object settings() const {
    const auto events = recorder.named("node:plugins");
    REQUIRE(events.size() == 1);
    return events.front().metadata;
  }

  ScopedEnv env_url;
  Recorder recorder{{"plugin:stop", "node:plugins"}};
  oban::ManualClock clock{oban::SystemClock::instance().now()};
  oban::WorkerRegistry registry;
  oban::NodeConfig config;
  std::unique_ptr<oban::Node> node;
};

const oban::Value& at(const oban::Value::Object& object, const std::string& path_a, const std::string& path_b = "") {
  const auto& first = object.at(path_a);
  if (path_b.empty()) return first;
  REQUIRE(first.if_object());
  return first.if_object()->at(path_b);
}

}  // namespace

TEST_CASE("under its own election name the node prunes nothing and rescues only its own workers' jobs",
          "[guest][pruner][lifeline]") {
  TestSchema schema{"guest"};
  GuestNode guest{schema, {}};
  const Rows rows{schema, guest.clock.now()};
  guest.run_plugins();

  CHECK(oban::internals(*guest.node).pruner() == nullptr);
  CHECK(state_of(schema, rows.elixir_completed) == "completed");
  CHECK(state_of(schema, rows.elixir_discarded) == "discarded");
  CHECK(state_of(schema, rows.elixir_executing) == "executing");  // an Elixir job running for 5 h is Elixir's
  CHECK(state_of(schema, rows.cpp_completed) == "completed");
  CHECK(state_of(schema, rows.cpp_cancelled) == "cancelled");
  CHECK(state_of(schema, rows.cpp_executing) == "available");  // this node's worker's orphan: rescued

  // The effective settings and scope, reported once at start.
  const auto settings = guest.settings();
  CHECK(at(settings, "peer") == oban::Value{"oban-cpp"});
  CHECK(at(settings, "pruner", "enabled") == oban::Value{false});
  CHECK(at(settings, "lifeline", "enabled") == oban::Value{true});
  CHECK(at(settings, "lifeline", "workers") == oban::Value{std::vector<std::string>{kCppWorker}});
  CHECK(at(settings, "lifeline", "rescue_after_s") == oban::Value{3600.0});
}

TEST_CASE("turned on under its own name, the pruner deletes only its own workers' finished jobs",
          "[guest][pruner]") {
  TestSchema schema{"guest"};
  GuestNode guest{schema, {"--pruner", "on"}};
  const Rows rows{schema, guest.clock.now()};
  guest.run_plugins();
  CHECK(state_of(schema, rows.elixir_completed) == "completed");
  CHECK(state_of(schema, rows.elixir_discarded) == "discarded");
  CHECK(state_of(schema, rows.cpp_completed) == "<pruned>");
  CHECK(state_of(schema, rows.cpp_cancelled) == "<pruned>");
  CHECK(at(guest.settings(), "pruner", "workers") == oban::Value{std::vector<std::string>{kCppWorker}});
  CHECK(at(guest.settings(), "pruner", "max_age_s") == oban::Value{60L});
}

TEST_CASE("joined as \"Oban\", the node prunes and rescues nothing until told to, then the whole table as Oban does",
          "[guest][pruner][lifeline]") {
  TestSchema schema{"guest"};
  SECTION("defaults: both off, and a warning that the duties lapse while it leads") {
    GuestNode guest{schema, {"--peer-name", "Oban"}};
    const Rows rows{schema, guest.clock.now()};
    guest.run_plugins();
    CHECK(oban::internals(*guest.node).pruner() == nullptr);
    CHECK(oban::internals(*guest.node).lifeline() == nullptr);
    for (const auto id : {rows.elixir_completed, rows.cpp_completed}) CHECK(state_of(schema, id) == "completed");
    for (const auto id : {rows.elixir_executing, rows.cpp_executing}) CHECK(state_of(schema, id) == "executing");
    const auto events = guest.recorder.named("node:plugins");
    REQUIRE(events.size() == 1);
    CHECK(events.front().level == oban::telemetry::Level::warning);
    CHECK(at(events.front().metadata, "joins_elixir_election") == oban::Value{true});
  }
  SECTION("turned on: Oban's plugins over every job") {
    GuestNode guest{schema, {"--peer-name", "Oban", "--pruner", "on", "--lifeline", "on"}};
    const Rows rows{schema, guest.clock.now()};
    guest.run_plugins();
    for (const auto id : {rows.elixir_completed, rows.elixir_discarded, rows.cpp_completed, rows.cpp_cancelled}) {
      CHECK(state_of(schema, id) == "<pruned>");
    }
    CHECK(state_of(schema, rows.elixir_executing) == "available");
    CHECK(state_of(schema, rows.cpp_executing) == "available");
    CHECK(at(guest.settings(), "pruner", "workers") == oban::Value{"all jobs"});
    CHECK(at(guest.settings(), "lifeline", "workers") == oban::Value{"all jobs"});
    CHECK(guest.recorder.named("node:plugins").front().level == oban::telemetry::Level::info);
  }
}

TEST_CASE("each plugin flag changes what the plugins do", "[guest][pruner][lifeline]") {
  TestSchema schema{"guest"};
  const auto now = oban::SystemClock::instance().now();

  SECTION("--pruner-max-age: finished jobs younger than it stay") {
    GuestNode guest{schema, {"--peer-name", "Oban", "--pruner", "on", "--pruner-max-age", "86400"}};
    const auto day_and_more = insert_finished(schema, kElixirWorker, "completed", guest.clock.now() - 25h);
    const auto hours = insert_finished(schema, kElixirWorker, "completed", guest.clock.now() - 23h);
    guest.run_plugins();
    CHECK(state_of(schema, day_and_more) == "<pruned>");
    CHECK(state_of(schema, hours) == "completed");
  }
  SECTION("--pruner-limit: at most that many per run") {
    GuestNode guest{schema, {"--pruner", "on", "--pruner-limit", "2"}};
    for (int i = 0; i < 5; ++i) insert_finished(schema, kCppWorker, "completed", now - 48h);
    REQUIRE(oban::internals(*guest.node).pruner() == nullptr);  // built at start
    guest.node->start();
    REQUIRE(oban::internals(*guest.node).pruner() != nullptr);
    CHECK(oban::internals(*guest.node).pruner()->config().limit == 2);
    // The loop may already have run; each run deletes at most 2.
    GuestNode::cluster_wait([&] { return guest.recorder.plugin_runs("Oban.Plugins.Pruner") >= 3; });
    for (const auto& event : guest.recorder.named("plugin:stop")) {
      if (event.metadata.at("plugin") == oban::Value{"Oban.Plugins.Pruner"}) {
        CHECK(*event.metadata.at("pruned_count").if_integer() <= 2);
      }
    }
  }
  SECTION("--pruner-interval and --lifeline-interval: the time between runs") {
    GuestNode guest{schema, {"--pruner", "on", "--pruner-interval", "45", "--lifeline-interval", "90"}, true};
    guest.node->start();
    CHECK(oban::internals(*guest.node).pruner()->next_delay() == 45s);
    CHECK(oban::internals(*guest.node).lifeline()->next_delay() == 90s);
  }
  SECTION("--lifeline-rescue-after: jobs executing for less stay executing") {
    GuestNode guest{schema, {"--lifeline-rescue-after", "21600"}};  // 6 h
    const auto seven_hours = insert_executing(schema, kCppWorker, guest.clock.now() - 7h, "cpp-dead-node");
    const auto five_hours = insert_executing(schema, kCppWorker, guest.clock.now() - 5h, "cpp-dead-node");
    guest.run_plugins();
    CHECK(state_of(schema, seven_hours) == "available");
    CHECK(state_of(schema, five_hours) == "executing");
  }
  SECTION("--lifeline off: nothing is rescued") {
    GuestNode guest{schema, {"--lifeline", "off"}};
    const auto orphan = insert_executing(schema, kCppWorker, guest.clock.now() - 5h, "cpp-dead-node");
    guest.run_plugins();
    CHECK(oban::internals(*guest.node).lifeline() == nullptr);
    CHECK(state_of(schema, orphan) == "executing");
  }
  SECTION("--cron-delay: how long after the boundary cron evaluates a minute") {
    ScopedEnv url{"DATABASE_URL", schema.dsn()};
    auto config = node_config_from_words({"--queues", "cpp_sync:1", "--prefix", schema.prefix(), "--cron",
                                          "* * * * * " + kCppWorker, "--cron-delay", "2"});
    oban::ManualClock clock{oban::parse_sql_timestamp("2026-11-28 09:34:01")};
    auto registry = cpp_registry();
    oban::Node node{config, registry, clock};
    oban::internals(node).set_leader_check([] { return true; });
    node.start();
    REQUIRE(oban::internals(node).cron() != nullptr);
    CHECK(oban::internals(node).cron()->delay() == 2s);
    CHECK(oban::internals(node).cron()->next_delay() == 1005ms);  // 09:34:02 and a little
    CHECK(oban::internals(node).cron()->run_once().inserted.empty());
    clock.set(oban::parse_sql_timestamp("2026-11-28 09:34:02.005"));
    CHECK(oban::internals(node).cron()->run_once().inserted == std::vector<std::string>{kCppWorker});
  }
  SECTION("--pruner off joined as Oban with the lifeline on: rescues, keeps finished jobs") {
    GuestNode guest{schema, {"--peer-name", "Oban", "--pruner", "off", "--lifeline", "on"}};
    const Rows rows{schema, guest.clock.now()};
    guest.run_plugins();
    CHECK(state_of(schema, rows.elixir_completed) == "completed");
    CHECK(state_of(schema, rows.elixir_executing) == "available");
  }
}
