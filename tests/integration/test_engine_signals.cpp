// Signals sent with pg_notify exactly as Elixir sends them (sql-log.txt "SIGNALS"), and the
// stager's staging and notifications.
#include <catch2/catch.hpp>

#include "engine_test_helpers.hpp"
#include "oban/db/connection.hpp"
#include "oban/plugins/plugin_runner.hpp"
#include "oban/plugins/stager.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"

using namespace engine_test;
using namespace std::chrono_literals;

namespace {

oban::NodeConfig config_for(test_support::TestSchema& schema) {
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = "cpp-signals";
  config.queues = {{"rindle_provider", 4}, {"other", 2}};
  config.poll_interval = 30s;  // only signals and notifications wake the queues here
  config.shutdown_grace = 1s;
  return config;
}

// Sends payloads (a JSON array of JSON texts) on the signal channel.
void signal(test_support::TestSchema& schema, const std::string& payload_array) {
  send_notification(schema, "signal", payload_array);
}

}  // namespace

TEST_CASE("pause, resume and scale signals as Elixir sends them", "[signals]") {
  test_support::TestSchema schema{"signals"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<AnchorWorker>();
  registry.add(worker);
  oban::Node node{config_for(schema), registry};
  node.start();
  REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }));
  auto* producer = oban::internals(node).producer("rindle_provider");
  auto* other = oban::internals(node).producer("other");

  signal(schema, R"(["{\"action\":\"pause\",\"ident\":\"any\",\"queue\":\"rindle_provider\"}"])");
  // A fetch already in flight when the pause lands still takes jobs (as in Oban): let it end.
  REQUIRE(wait_for([&] { return producer->paused() && !producer->fetching(); }));
  CHECK_FALSE(other->paused());
  PlainJob job;
  job.args = R"({"provider_asset_id": "paused-1"})";
  auto id = insert_plain(schema, job);

  // Malformed payloads and signals for another node are ignored; the notifier survives them.
  send_notification(schema, "signal", R"(["{not json", "{\"action\":\"resume\",\"ident\":5,\"queue\":\"rindle_provider\"}"])");
  send_notification(schema, "signal", R"(["Z:not base64 at all!"])");
  send_notification(schema, "signal",
                    R"(["{\"action\":\"resume\",\"ident\":\"Oban.elixir-1@host\",\"queue\":\"rindle_provider\"}"])");
  // A scale for the other queue, sent after them, shows they were all handled.
  signal(schema, R"(["{\"action\":\"scale\",\"ident\":\"any\",\"limit\":7,\"queue\":\"other\"}"])");
  REQUIRE(wait_for([&] { return other->limit() == 7; }));
  CHECK(producer->paused());
  CHECK(job_state(schema, id) == "available");
  CHECK(oban::internals(node).notifier()->connected());

  signal(schema, R"(["{\"action\":\"resume\",\"ident\":\"any\",\"queue\":\"rindle_provider\"}"])");
  REQUIRE(wait_for([&] { return job_state(schema, id) == "completed"; }));
  CHECK_FALSE(producer->paused());

  signal(schema, R"(["{\"action\":\"scale\",\"ident\":\"any\",\"limit\":5,\"queue\":\"rindle_provider\"}"])");
  REQUIRE(wait_for([&] { return producer->limit() == 5; }));

  // "*" means every queue; an ident naming this node applies.
  signal(schema, R"(["{\"action\":\"pause\",\"ident\":\"Oban.cpp-signals\",\"queue\":\"*\"}"])");
  REQUIRE(wait_for([&] { return producer->paused() && other->paused(); }));
  signal(schema, R"(["{\"action\":\"resume\",\"queue\":\"*\"}"])");
  REQUIRE(wait_for([&] { return !producer->paused() && !other->paused(); }));
  node.stop();
}

TEST_CASE("a pkill for a job not running here changes nothing", "[signals]") {
  test_support::TestSchema schema{"pkill"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<AnchorWorker>();
  registry.add(worker);
  oban::Node node{config_for(schema), registry};
  node.start();
  REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }));
  PlainJob job;
  job.args = R"({"anchor_action": "sleep", "sleep_ms": 20000})";
  auto id = insert_plain(schema, job);
  REQUIRE(wait_for([&] { return worker->sleeping.load() == 1; }));
  send_notification(schema, "signal", R"(["{\"action\":\"pkill\",\"job_id\":999999}"])");
  send_notification(schema, "signal", "[\"{\\\"action\\\":\\\"pkill\\\",\\\"job_id\\\":" + std::to_string(id) + "}\"]");
  REQUIRE(wait_for([&] { return job_state(schema, id) == "cancelled"; }));
  CHECK(query_text(schema, "SELECT errors[1]->>'error' FROM " + schema.jobs_table() + " WHERE id = " +
                               std::to_string(id)) ==
        "** (Oban.PerformError) Rindle.Workers.MuxSyncProviderAsset failed with {:cancel, :shutdown}");
  node.stop();
}

TEST_CASE("the stager stages due jobs on the node clock and notifies every queue with available jobs", "[stager]") {
  test_support::TestSchema schema{"stager"};
  PlainJob due;
  due.queue = "alpha";
  due.scheduled_at = "2026-11-28 09:00:00";
  const auto id_due = insert_plain(schema, due, false);
  PlainJob retry = due;
  retry.queue = "beta";
  retry.state = "retryable";
  retry.attempt = 1;
  const auto id_retry = insert_plain(schema, retry, false);
  PlainJob suspended = due;
  suspended.state = "suspended";
  const auto id_suspended = insert_plain(schema, suspended, false);
  PlainJob later = due;
  later.scheduled_at = "2026-11-28 10:30:00";
  const auto id_later = insert_plain(schema, later, false);

  // A separate listener, as Elixir producers listen.
  auto listener = oban::db::connect(schema.dsn());
  struct Collector final : pqxx::notification_receiver {
    Collector(pqxx::connection_base& c, const std::string& channel) : pqxx::notification_receiver(c, channel) {}
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
    std::vector<std::string> payloads;
  } collector{*listener, schema.prefix() + ".oban_insert"};

  oban::db::ConnectionPool pool{schema.dsn(), 1};
  oban::ManualClock clock{oban::parse_sql_timestamp("2026-11-28 10:00:00")};
  bool leader = false;
  oban::plugins::Stager stager{{schema.prefix(), 1000ms, 5000, true}, pool, clock};
  oban::plugins::PluginRunner runner{stager, [&] { return leader; }};

  CHECK_FALSE(runner.run_reported());  // a follower stages nothing
  CHECK(job_state(schema, id_due) == "scheduled");

  leader = true;
  auto result = stager.run_once();
  REQUIRE(result.staged.size() == 2);
  CHECK(result.staged[0].id == id_retry);
  CHECK(result.staged[1].id == id_due);
  CHECK(result.available_queues == std::vector<std::string>{"alpha", "beta"});
  CHECK(job_state(schema, id_due) == "available");
  CHECK(job_state(schema, id_retry) == "available");
  CHECK(job_state(schema, id_suspended) == "suspended");
  CHECK(job_state(schema, id_later) == "scheduled");
  REQUIRE(wait_for([&] {
    listener->get_notifs();
    return collector.payloads.size() >= 2;
  }));
  CHECK(collector.payloads == std::vector<std::string>{R"({"queue":"alpha"})", R"({"queue":"beta"})"});

  clock.advance(std::chrono::hours{1});
  auto second = stager.run_once();
  REQUIRE(second.staged.size() == 1);
  CHECK(second.staged[0].id == id_later);
  CHECK(job_state(schema, id_suspended) == "suspended");
}
