// The standalone Client (inserts; Oban's signals with Oban's payloads, obeyed by a running
// node), inserting through a Node before it starts, a per-job timeout from typed args, and
// the testing helpers on a real database.
#include <catch2/catch.hpp>

#include <thread>

#include "engine_test_helpers.hpp"
#include "oban/client/client.hpp"
#include "oban/db/connection.hpp"
#include "oban/json/json_value.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"
#include "oban/testing/testing.hpp"
#include "oban/typed_worker.hpp"

using namespace engine_test;
using namespace std::chrono_literals;

namespace {

constexpr auto kWorker = "Rindle.Workers.MuxSyncProviderAsset";  // AnchorWorker's name

oban::NodeConfig node_config(test_support::TestSchema& schema, const std::string& node_name) {
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = node_name;
  config.queues = {{"rindle_provider", 4}, {"other", 2}};
  config.poll_interval = 30s;  // signals and notifications wake the queues; a poll would hide a lost one
  config.shutdown_grace = 1s;
  config.leadership = false;
  return config;
}

oban::Client client_for(test_support::TestSchema& schema) {
  oban::ClientConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  return oban::Client{config};
}

oban::NewJob anchor_job(const std::string& args) {
  oban::NewJob job;
  job.worker = kWorker;
  job.queue = "rindle_provider";
  job.args = args;
  job.max_attempts = 3;
  return job;
}

// Everything sent on one of the schema's channels, as a separate listener (an Elixir node) sees it.
class ChannelListener {
 public:
  ChannelListener(test_support::TestSchema& schema, const std::string& channel)
      : conn_(oban::db::connect(schema.dsn())), receiver_(*conn_, schema.prefix() + ".oban_" + channel) {}
  // The payloads received so far, waiting up to 5 s for at least `count`.
  std::vector<std::string> payloads(std::size_t count) {
    wait_for([&] {
      conn_->get_notifs();
      return receiver_.payloads.size() >= count;
    }, 5s);
    return receiver_.payloads;
  }

 private:
  struct Receiver final : pqxx::notification_receiver {
    Receiver(pqxx::connection_base& c, const std::string& channel) : pqxx::notification_receiver(c, channel) {}
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
    std::vector<std::string> payloads;
  };
  std::unique_ptr<pqxx::connection> conn_;
  Receiver receiver_;
};

// Typed args whose timeout the worker reads from them.
struct NapArgs {
  static constexpr std::string_view kWorker = "MyApp.Workers.Nap";
  static oban::WorkerOptions options() { return {.queue = "naps", .max_attempts = 1}; }
  int nap_ms = 0;
  int timeout_ms = 0;
  static constexpr auto fields() {
    return oban::fields(oban::field("nap_ms", &NapArgs::nap_ms), oban::field("timeout_ms", &NapArgs::timeout_ms));
  }
};

class NapWorker {
 public:
  using Args = NapArgs;
  oban::JobResult perform(const NapArgs& args, oban::JobContext& context) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{args.nap_ms};
    while (std::chrono::steady_clock::now() < until && !context.stop.stop_requested()) std::this_thread::sleep_for(5ms);
    if (context.stop.stop_requested()) stopped.fetch_add(1);
    return oban::JobResult::ok();
  }
  std::chrono::milliseconds timeout(const NapArgs& args, const oban::Job&) const {
    return std::chrono::milliseconds{args.timeout_ms};
  }
  std::atomic<int> stopped{0};
};

}  // namespace

TEST_CASE("the client inserts one job, many, and inside the caller's transaction", "[client]") {
  test_support::TestSchema schema{"client_insert"};
  auto client = client_for(schema);
  ChannelListener inserts{schema, "insert"};

  const auto one = client.insert(anchor_job(R"({"provider_asset_id": "one", "ids": [1, 2]})"));
  CHECK(one.job.id > 0);
  CHECK_FALSE(one.conflict);
  CHECK(query_text(schema, "SELECT args::text FROM " + schema.jobs_table() + " WHERE id = " +
                               std::to_string(one.job.id)) == R"({"ids": [1, 2], "provider_asset_id": "one"})");

  auto other = anchor_job(R"({"provider_asset_id": "two"})");
  other.queue = "other";
  const auto many = client.insert_all({anchor_job(R"({"provider_asset_id": "three"})"), other});
  REQUIRE(many.size() == 2);
  CHECK(many[1].job.queue == "other");
  CHECK(inserts.payloads(3) ==
        std::vector<std::string>{R"({"queue":"rindle_provider"})", R"({"queue":"rindle_provider"})", R"({"queue":"other"})"});

  // In the caller's transaction: nothing is visible, and nothing is announced, until it commits.
  {
    pqxx::connection conn{schema.dsn()};
    pqxx::work tx{conn};
    const auto inside = client.insert(tx, anchor_job(R"({"provider_asset_id": "in-tx"})"));
    tx.exec("SELECT 1");  // the caller's own work in the same transaction
    CHECK(query_count(schema, "SELECT count(*) FROM " + schema.jobs_table() + " WHERE id = " +
                                  std::to_string(inside.job.id)) == 0);
    tx.commit();
    CHECK(job_state(schema, inside.job.id) == "available");
  }
  CHECK(inserts.payloads(4).size() == 4);
  {
    pqxx::connection conn{schema.dsn()};
    pqxx::work tx{conn};
    const auto rolled_back = client.insert_all(tx, {anchor_job(R"({"provider_asset_id": "rolled-back"})")});
    REQUIRE(rolled_back.size() == 1);
    tx.abort();
    CHECK(job_state(schema, rolled_back[0].job.id).empty());
  }
  std::this_thread::sleep_for(200ms);
  CHECK(inserts.payloads(5).size() == 4);  // the rolled-back insert sent nothing

  // Typed args go through the same path.
  const auto typed = client.insert(NapArgs{.nap_ms = 1, .timeout_ms = 2});
  CHECK(typed.job.worker == "MyApp.Workers.Nap");
  CHECK(typed.job.queue == "naps");
  CHECK(typed.job.max_attempts == 1);
  CHECK(oban::json::parse(typed.job.args) == oban::Value{oban::Value::Object{{"nap_ms", 1}, {"timeout_ms", 2}}});

  CHECK_THROWS_WITH(client.insert(anchor_job("[1]")), Catch::Contains("args must be a JSON object"));
}

TEST_CASE("a node inserts through its client before it starts, and runs the job once started", "[client][node]") {
  test_support::TestSchema schema{"client_before_start"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<AnchorWorker>();
  registry.add(worker);
  oban::Node node{node_config(schema, "cpp-before-start"), registry};
  const auto inserted = node.client().insert(anchor_job(R"({"provider_asset_id": "early"})"));
  CHECK(job_state(schema, inserted.job.id) == "available");
  node.start();
  REQUIRE(wait_for([&] { return job_state(schema, inserted.job.id) == "completed"; }));
  node.stop();
}

TEST_CASE("queue signals carry Oban's payloads and a running node obeys them", "[client][signals]") {
  test_support::TestSchema schema{"client_signals"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<AnchorWorker>();
  registry.add(worker);
  oban::Node node{node_config(schema, "cpp-signals"), registry};
  node.start();
  REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }));
  auto* producer = oban::internals(node).producer("rindle_provider");
  auto* other = oban::internals(node).producer("other");
  auto client = client_for(schema);
  ChannelListener signals{schema, "signal"};

  // pause: the queue stops fetching; the other queue runs on.
  client.pause_queue({.queue = "rindle_provider"});
  REQUIRE(wait_for([&] { return producer->paused() && !producer->fetching(); }));
  CHECK_FALSE(other->paused());
  const auto waiting = client.insert(anchor_job(R"({"provider_asset_id": "paused"})"));
  std::this_thread::sleep_for(300ms);
  CHECK(job_state(schema, waiting.job.id) == "available");

  // resume: it runs.
  client.resume_queue({.queue = "rindle_provider"});
  REQUIRE(wait_for([&] { return job_state(schema, waiting.job.id) == "completed"; }));
  CHECK_FALSE(producer->paused());

  // scale, for every node.
  client.scale_queue({.queue = "rindle_provider"}, 5);
  REQUIRE(wait_for([&] { return producer->limit() == 5; }));

  // The payloads, byte for byte as Oban 2.23.1 sent them (fixtures sql-log.txt "SIGNALS").
  CHECK(signals.payloads(3) == std::vector<std::string>{
                                   R"({"action":"pause","ident":"any","queue":"rindle_provider"})",
                                   R"({"action":"resume","ident":"any","queue":"rindle_provider"})",
                                   R"({"action":"scale","ident":"any","limit":5,"queue":"rindle_provider"})"});

  // Addressed to another node: ignored here. To this node: obeyed.
  client.scale_queue({.queue = "other", .node = "elixir-1@host"}, 9);
  client.scale_queue({.queue = "other", .node = "cpp-signals"}, 3);
  REQUIRE(wait_for([&] { return other->limit() == 3; }));
  CHECK(signals.payloads(5)[3] == R"({"action":"scale","ident":"Oban.elixir-1@host","limit":9,"node":"elixir-1@host","queue":"other"})");

  // Every queue, this node only, through the node's own client (Oban's local_only).
  node.client().pause_queue({.queue = "*", .local_only = true});
  REQUIRE(wait_for([&] { return producer->paused() && other->paused(); }));
  CHECK(signals.payloads(6)[5] == R"({"action":"pause","ident":"Oban.cpp-signals","queue":"*"})");
  node.client().scale_queue({.queue = "other", .local_only = true}, 2);
  REQUIRE(wait_for([&] { return other->limit() == 2; }));
  CHECK(signals.payloads(7)[6] == R"({"action":"scale","ident":"Oban.cpp-signals","limit":2,"local_only":true,"queue":"other"})");
  client.resume_queue({.queue = "*"});
  REQUIRE(wait_for([&] { return !producer->paused() && !other->paused(); }));

  // Bad requests are refused before anything is sent, naming the problem.
  CHECK_THROWS_WITH(client.pause_queue({.queue = "rindle_provider", .local_only = true}),
                    "queue rindle_provider does not exist locally");
  CHECK_THROWS_WITH(node.client().pause_queue({.queue = "naps", .local_only = true}), "queue naps does not exist locally");
  CHECK_THROWS_WITH(client.scale_queue({.queue = "other"}, 0), "limit must be a positive integer, got 0");
  CHECK_THROWS_WITH(client.pause_queue({.queue = ""}), Catch::Contains("needs a queue"));
  CHECK_THROWS_WITH(client.pause_queue({.queue = "other", .local_only = true, .node = "x"}),
                    "give local_only or node, not both");
  std::this_thread::sleep_for(200ms);
  CHECK(signals.payloads(9).size() == 8);
  node.stop();
}

TEST_CASE("cancel_job stops an executing job where it runs, as Oban.cancel_job does", "[client][signals][cancel]") {
  test_support::TestSchema schema{"client_cancel"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<AnchorWorker>();
  registry.add(worker);
  oban::Node node{node_config(schema, "cpp-cancel"), registry};
  node.start();
  REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }));
  auto client = client_for(schema);
  ChannelListener signals{schema, "signal"};

  PlainJob sleeping;
  sleeping.args = R"({"anchor_action": "sleep", "sleep_ms": 20000, "provider_asset_id": "cancel-1"})";
  const auto executing = insert_plain(schema, sleeping);
  REQUIRE(wait_for([&] { return worker->sleeping.load() == 1; }));
  PlainJob later;
  later.scheduled_at = "2999-01-01 00:00:00";
  const auto scheduled = insert_plain(schema, later, false);

  CHECK(client.cancel_jobs({executing, scheduled, 999999}) == std::vector<std::int64_t>{executing, scheduled});
  // The running perform is asked to stop; the node records the pkill as Oban does.
  REQUIRE(wait_for([&] { return worker->stopped_early.load() == 1; }));
  REQUIRE(wait_for([&] { return !query_text(schema, "SELECT errors[1]->>'error' FROM " + schema.jobs_table() +
                                                        " WHERE id = " + std::to_string(executing)).empty(); }));
  // Only the executing job gets a pkill (oban-protocol.md 3, cancel_all_jobs).
  CHECK(signals.payloads(1) == std::vector<std::string>{"{\"action\":\"pkill\",\"job_id\":" + std::to_string(executing) + "}"});
  // Rows as Elixir's cancel left them: fixture 14 (executing, then cancelled: an errors entry)
  // and 13 (scheduled, then cancelled: none). Only the args are ours.
  CHECK(row_differences(schema, executing, 14, false) == std::vector<std::string>{"args"});
  CHECK(row_differences(schema, scheduled, 13, false) == std::vector<std::string>{"args"});
  CHECK(query_text(schema, "SELECT errors[1]->>'error' FROM " + schema.jobs_table() + " WHERE id = " +
                               std::to_string(executing)) ==
        "** (Oban.PerformError) Rindle.Workers.MuxSyncProviderAsset failed with {:cancel, :shutdown}");

  // A finished job is not cancelled again.
  CHECK_FALSE(client.cancel_job(executing));
  node.stop();
}

TEST_CASE("retry_job makes a finished job available again, as Oban.retry_job does", "[client][retry]") {
  test_support::TestSchema schema{"client_retry"};
  PlainJob discarded;
  discarded.state = "discarded";
  discarded.attempt = 3;
  discarded.max_attempts = 3;
  const auto exhausted = insert_plain(schema, discarded, false);
  {
    pqxx::work tx{schema.conn()};
    tx.exec("UPDATE " + schema.jobs_table() + " SET discarded_at = now(), errors = ARRAY['{\"attempt\": 3}'::jsonb] WHERE id = " +
            std::to_string(exhausted));
    tx.commit();
  }
  PlainJob cancelled;
  cancelled.state = "cancelled";
  cancelled.attempt = 1;
  const auto with_attempts = insert_plain(schema, cancelled, false);
  const auto available = insert_plain(schema, PlainJob{}, false);

  auto client = client_for(schema);
  CHECK(client.retry_jobs({exhausted, with_attempts, available}) == std::vector<std::int64_t>{exhausted, with_attempts});
  CHECK(job_state(schema, exhausted) == "available");
  // One more attempt for the job that had none left; attempt and errors kept; times cleared.
  CHECK(query_text(schema, "SELECT concat_ws(',', attempt, max_attempts, cardinality(errors), discarded_at IS NULL) FROM " +
                               schema.jobs_table() + " WHERE id = " + std::to_string(exhausted)) == "3,4,1,t");
  CHECK(query_text(schema, "SELECT concat_ws(',', state, attempt, max_attempts) FROM " + schema.jobs_table() +
                               " WHERE id = " + std::to_string(with_attempts)) == "available,1,3");
  CHECK_FALSE(client.retry_job(available));

  // A node runs the retried job.
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<AnchorWorker>());
  auto config = node_config(schema, "cpp-retry");
  config.poll_interval = 100ms;
  oban::Node node{config, registry};
  node.start();
  REQUIRE(wait_for([&] { return job_state(schema, exhausted) == "completed"; }));
  node.stop();
}

TEST_CASE("a typed worker's timeout(job) comes from each job's args, on a running node", "[client][timeout]") {
  test_support::TestSchema schema{"typed_timeout"};
  oban::WorkerRegistry registry;
  auto worker = oban::add_worker(registry, std::make_shared<NapWorker>());
  auto config = node_config(schema, "cpp-timeout");
  config.queues = {{"naps", 2}};
  oban::Node node{config, registry};
  const auto slow = node.client().insert(NapArgs{.nap_ms = 10000, .timeout_ms = 100});
  const auto quick = node.client().insert(NapArgs{.nap_ms = 20, .timeout_ms = 5000});
  node.start();
  REQUIRE(wait_for([&] { return job_state(schema, slow.job.id) == "discarded"; }));
  REQUIRE(wait_for([&] { return job_state(schema, quick.job.id) == "completed"; }));
  CHECK(query_text(schema, "SELECT errors[1]->>'error' FROM " + schema.jobs_table() + " WHERE id = " +
                               std::to_string(slow.job.id)) == "** (Oban.TimeoutError) MyApp.Workers.Nap timed out after 100ms");
  REQUIRE(wait_for([&] { return worker->stopped.load() == 1; }));

  // Args that do not fit the struct: cancelled at once, the field named.
  auto bad = oban::new_job(NapArgs{});
  bad.args = R"({"nap_ms": "long"})";
  const auto refused = node.client().insert(bad);
  REQUIRE(wait_for([&] { return job_state(schema, refused.job.id) == "cancelled"; }));
  CHECK(query_text(schema, "SELECT errors[1]->>'error' FROM " + schema.jobs_table() + " WHERE id = " +
                               std::to_string(refused.job.id)) ==
        R"(** (Oban.PerformError) MyApp.Workers.Nap failed with {:cancel, "invalid args: args.nap_ms: expected an integer, got a string"})");
  node.stop();
}

TEST_CASE("assert_enqueued and refute_enqueued look at the client's database like Oban.Testing", "[testing]") {
  using oban::Value;
  test_support::TestSchema schema{"testing_enqueued"};
  auto client = client_for(schema);
  auto job = anchor_job(R"({"provider_asset_id": "a-1", "config": {"size": 2, "mode": "fast"}})");
  job.meta = R"({"batch": 7})";
  job.priority = 3;
  const auto first = client.insert(job);
  const auto second = client.insert(NapArgs{.nap_ms = 5, .timeout_ms = 0});
  PlainJob done;
  done.state = "completed";
  done.args = R"({"provider_asset_id": "done"})";
  insert_plain(schema, done, false);

  using oban::testing::JobFilter;
  oban::testing::assert_enqueued(client, {.worker = kWorker});
  oban::testing::assert_enqueued(client, {.worker = kWorker, .args = Value::Object{{"provider_asset_id", "a-1"}}});
  oban::testing::assert_enqueued(
      client, {.args = Value::Object{{"config", Value::Object{{"size", 2.0}}}}, .meta = Value::Object{{"batch", "_"}},
               .priority = 3});
  oban::testing::assert_enqueued(client, JobFilter::of(NapArgs{.nap_ms = 5, .timeout_ms = 0}));
  oban::testing::refute_enqueued(client, {.worker = kWorker, .args = Value::Object{{"provider_asset_id", "done"}}});
  oban::testing::refute_enqueued(client, {.queue = "rindle_provider", .priority = 0});

  const auto all = oban::testing::all_enqueued(client);
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == second.job.id);  // newest first
  CHECK(all[1].id == first.job.id);
  CHECK(oban::testing::all_enqueued(client, {.queue = "naps"}).size() == 1);

  // A failed assertion says what it wanted and what it found.
  try {
    oban::testing::assert_enqueued(client, {.worker = kWorker, .args = Value::Object{{"provider_asset_id", "a-2"}}});
    FAIL("assert_enqueued passed");
  } catch (const oban::testing::AssertionFailure& failure) {
    const std::string message = failure.what();
    CHECK_THAT(message, Catch::Contains(R"(expected a job matching {"args":{"provider_asset_id":"a-2"},"worker":")"));
    CHECK_THAT(message, Catch::Contains("id " + std::to_string(first.job.id) + " " + kWorker));
  }
  CHECK_THROWS_AS(oban::testing::refute_enqueued(client, {.queue = "naps"}), oban::testing::AssertionFailure);

  // With a wait: a job enqueued a little later passes; none, within the wait, fails.
  std::thread later{[&] {
    std::this_thread::sleep_for(100ms);
    client.insert(anchor_job(R"({"provider_asset_id": "later"})"));
  }};
  oban::testing::assert_enqueued(client, {.args = Value::Object{{"provider_asset_id", "later"}}}, 5000ms);
  later.join();
  const auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(oban::testing::assert_enqueued(client, {.queue = "nowhere"}, 100ms), oban::testing::AssertionFailure);
  CHECK(std::chrono::steady_clock::now() - started >= 100ms);
  oban::testing::refute_enqueued(client, {.queue = "nowhere"}, 50ms);
}
