// When the producer fetches and how the completer writes: the dispatch cooldown only where
// it can make a fetch bigger (the whole limit goes at once), two fetches in flight that never exceed the limit, and ack
// batches written side by side, each resolving its own lost commit. Every check counts
// fetches, runs or rows; none measures speed (the cooldowns are a minute long, so a fetch
// that waited for one would time the test out).
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine_test_helpers.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/json/json_value.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"

using namespace engine_test;
using namespace std::chrono_literals;

namespace {

constexpr auto kLongCooldown = 60s;

oban::NodeConfig dispatch_config(test_support::TestSchema& schema, int limit, bool notifications) {
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = "cpp-dispatch";
  config.queues = {{"q", limit}};
  config.notifications = notifications;
  config.poll_interval = notifications ? 30s : 100ms;
  config.shutdown_grace = 2s;
  return config;
}

void insert_jobs(test_support::TestSchema& schema, int count, bool notify) {
  PlainJob job;
  job.worker = "Test.Counting";
  job.queue = "q";
  for (int i = 0; i < count; ++i) insert_plain(schema, job, notify);
}

// Each perform waits for a permit (or its stop token).
class GateWorker final : public oban::Worker {
 public:
  std::string name() const override { return "Test.Counting"; }
  oban::JobResult perform(oban::JobContext& context) override {
    std::unique_lock lock{mutex_};
    ++started_;
    cv_.notify_all();
    cv_.wait(lock, context.stop, [&] { return permits_ > 0; });
    if (permits_ > 0) --permits_;
    return oban::JobResult::ok();
  }
  void release(int n) {
    std::lock_guard lock{mutex_};
    permits_ += n;
    cv_.notify_all();
  }
  int started() const {
    std::lock_guard lock{mutex_};
    return started_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable_any cv_;
  int permits_ = 0;
  int started_ = 0;
};

// The most performs running at once, and runs per job.
class ConcurrencyWorker final : public oban::Worker {
 public:
  std::string name() const override { return "Test.Counting"; }
  oban::JobResult perform(oban::JobContext& context) override {
    const int now = running_.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    // Simulated work of two lengths, not a wait: slots free at different times, so a fetch
    // goes after the cooldown with part of the limit and a second one beside it.
    std::this_thread::sleep_for(context.job.id % 2 == 0 ? 3ms : 20ms);
    running_.fetch_sub(1);
    total.fetch_add(1);
    return oban::JobResult::ok();
  }
  std::atomic<int> most{0};
  std::atomic<int> total{0};

 private:
  std::atomic<int> running_{0};
};

}  // namespace

TEST_CASE("after a short fetch an insert is fetched at once, not after the dispatch cooldown", "[producer]") {
  test_support::TestSchema schema{"shortfetch"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<RunCounter>();
  registry.add(worker);
  auto config = dispatch_config(schema, 10, true);
  config.dispatch_cooldown = kLongCooldown;
  config.leadership = false;  // no stager: its notifications would be wakes of their own
  oban::Node node{config, registry};
  node.start();
  REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }));
  auto* producer = oban::internals(node).producer("q");
  // The startup fetch finds the queue empty: a short fetch. The LISTEN connection coming up
  // wakes the producer once more (for what it may have missed): let that settle first, so
  // only the rounds' fetches are counted.
  REQUIRE(wait_for([&] { return producer->fetches() >= 1 && !producer->fetching(); }));
  std::this_thread::sleep_for(500ms);
  REQUIRE(wait_for([&] { return !producer->fetching(); }));
  const auto before = producer->fetches();
  for (int round = 1; round <= 3; ++round) {
    insert_jobs(schema, 1, true);
    // Each insert is brought by the one fetch its notification starts: no poll (30 s away),
    // no cooldown (a minute), no empty fetch for the completion or the ack before it.
    REQUIRE(wait_for([&] { return count_in_state(schema, "completed") == round; }, 10s));
    REQUIRE(wait_for([&] { return producer->running() == 0; }));
    CHECK(producer->fetches() == before + static_cast<std::uint64_t>(round));
  }
  node.stop();
  CHECK(worker->total() == 3);
}

TEST_CASE("while jobs wait, a fetch below the whole limit waits for the cooldown; the whole limit goes at once",
          "[producer]") {
  test_support::TestSchema schema{"cooldown"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<GateWorker>();
  registry.add(worker);
  auto config = dispatch_config(schema, 4, false);
  config.poll_interval = 30s;  // only freed slots can wake the producer
  config.dispatch_cooldown = kLongCooldown;
  // No stager: it wakes the producer of a queue it saw available jobs in, and a wake
  // that lands after the last fetch took them is a fetch of its own (an ASan run in CI
  // counted 3 fetches for 2).
  config.leadership = false;
  insert_jobs(schema, 7, false);
  // Each fetch's demand and what it brought, for the message of a failed count.
  std::mutex fetches_mutex;
  std::string fetch_log;
  const auto fetch_handler = oban::telemetry::attach({"engine:fetch_jobs:stop"}, [&](const oban::telemetry::Event& e) {
    std::lock_guard lock{fetches_mutex};
    fetch_log += " demand " + oban::json::write(e.metadata.at("demand")) + " got " +
                 (e.metadata.count("count") ? oban::json::write(e.metadata.at("count")) : std::string{"?"}) + ";";
  });
  const auto fetches_seen = [&] {
    std::lock_guard lock{fetches_mutex};
    return fetch_log;
  };
  oban::Node node{config, registry};
  node.start();
  auto* producer = oban::internals(node).producer("q");
  // The first fetch comes back full (4 of 7): jobs are waiting.
  REQUIRE(wait_for([&] { return worker->started() == 4; }));
  CHECK(producer->fetches() == 1);

  // One slot free, then two: a fetch of part of the limit waits for the cooldown while
  // jobs wait, so none goes.
  for (int freed = 1; freed <= 2; ++freed) {
    worker->release(1);
    REQUIRE(wait_for([&] { return count_in_state(schema, "completed") == freed && producer->running() == 4 - freed; }));
    std::this_thread::sleep_for(300ms);
    CHECK(producer->fetches() == 1);
    CHECK(worker->started() == 4);
  }

  // All four free: the whole limit, fetched at once (the last 3 jobs).
  worker->release(2);
  REQUIRE(wait_for([&] { return worker->started() == 7; }, 10s));
  INFO("fetches:" << fetches_seen());
  CHECK(producer->fetches() == 2);
  worker->release(100);
  REQUIRE(wait_for([&] { return count_in_state(schema, "completed") == 7; }, 10s));
  node.stop();
  oban::telemetry::detach(fetch_handler);
  CHECK(worker->started() == 7);
}

TEST_CASE("two fetches in flight never run more than the limit, with and without notifications", "[producer]") {
  const bool notifications = GENERATE(true, false);
  INFO("notifications " << notifications);
  test_support::TestSchema schema{"twofetch"};
  // Slow fetches (a trigger sleeps when rows become executing), so a second fetch starts
  // while the first is still out.
  exec_sql(schema, "CREATE FUNCTION " + oban::db::qualified(schema.prefix(), "slow_fetch") +
                       "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM fetched "
                       "WHERE state = 'executing') THEN PERFORM pg_sleep(0.05); END IF; RETURN NULL; END $$;"
                       "CREATE TRIGGER slow_fetch AFTER UPDATE ON " + schema.jobs_table() +
                       " REFERENCING NEW TABLE AS fetched FOR EACH STATEMENT EXECUTE FUNCTION " +
                       oban::db::qualified(schema.prefix(), "slow_fetch") + "();");
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<ConcurrencyWorker>();
  registry.add(worker);
  const int limit = 6;
  const int jobs = 300;
  oban::Node node{dispatch_config(schema, limit, notifications), registry};
  node.start();
  if (notifications) REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }));
  REQUIRE(wait_for([&] { return oban::internals(node).producer("q")->fetches() >= 1; }));
  insert_jobs(schema, jobs, notifications);
  REQUIRE(wait_for([&] { return count_in_state(schema, "completed") == jobs; }, 60s));
  const auto overlapped = oban::internals(node).producer("q")->overlapped_fetches();
  node.stop();
  WARN("most performs at once " << worker->most.load() << " (limit " << limit << "); fetches "
                                << oban::internals(node).producer("q")->fetches() << ", of which sent beside another " << overlapped);
  CHECK(overlapped >= 1);  // the second lane took part
  CHECK(worker->most.load() <= limit);
  CHECK(worker->total.load() == jobs);
  CHECK(query_count(schema, "SELECT count(*) FROM " + schema.jobs_table() + " WHERE attempt <> 1") == 0);
}

TEST_CASE("ack batches written side by side each resolve their lost commit by reading the rows back",
          "[completer][faults]") {
  test_support::TestSchema schema{"sidebyside"};
  const auto fn = [&](const std::string& name) { return oban::db::qualified(schema.prefix(), name); };
  // Acks are slow (so batches pile up in several writers at once), and the first two ack
  // statements lose their connection at commit: their backends end themselves there.
  exec_sql(schema, "CREATE SEQUENCE " + fn("kills") + ";"
                   "CREATE FUNCTION " + fn("slow_acks") + "() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN IF EXISTS (SELECT 1 FROM written WHERE state = 'completed') THEN PERFORM pg_sleep(0.3); "
                   "END IF; RETURN NULL; END $$;"
                   "CREATE TRIGGER slow_acks AFTER UPDATE ON " + schema.jobs_table() +
                   " REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION " + fn("slow_acks") + "();"
                   "CREATE FUNCTION " + fn("die_at_commit") + "() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN IF NEW.state = 'completed' AND current_setting('test.seen', true) IS DISTINCT FROM 'yes' THEN "
                   "PERFORM set_config('test.seen', 'yes', true); "
                   "IF nextval('" + fn("kills") + "') <= 2 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; "
                   "END IF; RETURN NULL; END $$;"
                   "CREATE CONSTRAINT TRIGGER die_at_commit AFTER UPDATE ON " + schema.jobs_table() +
                   " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " + fn("die_at_commit") + "();");
  EventLog events{{"engine:ack_jobs"}};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<RunCounter>();
  registry.add(worker);
  const int jobs = 60;
  insert_jobs(schema, jobs, false);
  oban::Node node{dispatch_config(schema, 10, false), registry};

  // How many ack statements sleep in their trigger at once, sampled while they run.
  std::atomic<bool> sampling{true};
  std::atomic<long long> most_at_once{0};
  std::thread sampler{[&] {
    auto conn = oban::db::connect(schema.dsn());
    while (sampling) {
      pqxx::nontransaction tx{*conn};
      const auto n = tx.exec1("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query LIKE "
                              "'UPDATE %completed%'")[0].as<long long>();
      if (n > most_at_once) most_at_once = n;
      std::this_thread::sleep_for(20ms);
    }
  }};
  node.start();
  const bool done = wait_for([&] { return count_in_state(schema, "completed") == jobs; }, 60s);
  sampling = false;
  sampler.join();
  node.stop();
  REQUIRE(done);
  WARN("ack statements sleeping at once, at most " << most_at_once.load() << "; ack writes that failed "
                                                    << events.count("engine:ack_jobs:exception"));
  CHECK(most_at_once.load() >= 2);
  CHECK(query_count(schema, "SELECT last_value FROM " + fn("kills")) >= 2);  // both kills happened
  CHECK(events.count("engine:ack_jobs:exception") >= 2);
  CHECK(worker->total() == jobs);
  CHECK(worker->repeated() == 0);
  CHECK(count_in_state(schema, "executing") == 0);
  CHECK(query_count(schema, "SELECT count(*) FROM " + schema.jobs_table() + " WHERE attempt <> 1") == 0);
}
