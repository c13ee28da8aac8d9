// What a node says and refuses at start: a schema newer than it knows is run with a warning
// naming both versions; bad plugin and notifier settings are refused, listing each.
#include <catch2/catch.hpp>

#include "guest_test_helpers.hpp"
#include "oban/db/schema.hpp"
#include "oban/runtime/node.hpp"
#include "support/test_database.hpp"

using namespace std::chrono_literals;
using guest_test::Recorder;
using test_support::TestSchema;

namespace {

class QuietWorker final : public oban::Worker {
 public:
  std::string name() const override { return "Cpp.Workers.Quiet"; }
  oban::JobResult perform(oban::JobContext&) override { return oban::JobResult::ok(); }
};

oban::NodeConfig config_for(const TestSchema& schema) {
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = "cpp-startup-1";
  config.queues = {{"default", 1}};
  return config;
}

}  // namespace

TEST_CASE("a schema version newer than the node knows runs, with a warning naming both versions", "[guest][schema]") {
  TestSchema schema{"newer"};
  {
    // What a later Oban's migration would record.
    pqxx::work tx{schema.conn()};
    tx.exec("COMMENT ON TABLE " + schema.jobs_table() + " IS '15'");
    tx.commit();
  }
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<QuietWorker>());
  Recorder recorder{{"node:"}};
  oban::Node node{config_for(schema), registry};
  node.start();
  node.stop();
  const auto warnings = recorder.named("node:schema_newer");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings.front().level == oban::telemetry::Level::warning);
  CHECK(warnings.front().metadata.at("found") == oban::Value{15});
  CHECK(warnings.front().metadata.at("known") == oban::Value{oban::db::kCurrentSchemaVersion});
  CHECK_THAT(warnings.front().message, Catch::Matchers::Contains("15") && Catch::Matchers::Contains("14"));
}

TEST_CASE("the current schema version starts without that warning", "[guest][schema]") {
  TestSchema schema{"current"};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<QuietWorker>());
  Recorder recorder{{"node:"}};
  oban::Node node{config_for(schema), registry};
  node.start();
  node.stop();
  CHECK(recorder.named("node:schema_newer").empty());
  CHECK(recorder.named("node:plugins").size() == 1);
}

TEST_CASE("bad plugin and notifier settings are refused at start, each named", "[guest]") {
  TestSchema schema{"badplugins"};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<QuietWorker>());
  auto config = config_for(schema);
  config.cron_delay = 60s;
  config.prune_max_age = 0s;
  config.prune_limit = 0;
  config.rescue_after = 0ms;
  config.rescue_interval = -1ms;
  oban::Node node{config, registry};
  REQUIRE_THROWS_WITH(node.start(), Catch::Contains("cron delay") && Catch::Contains("pruner max_age") &&
                                        Catch::Contains("pruner limit") && Catch::Contains("rescue_after") &&
                                        Catch::Contains("lifeline interval"));
  auto bad_notifier = config_for(schema);
  bad_notifier.notifier.ping_timeout = 0ms;
  CHECK_THROWS_WITH(oban::Node(bad_notifier, registry), Catch::Contains("notifier ping timeout"));
}
