// Producers under load: the limit, wakeups with and without notifications, surviving a
// dropped connection, and two nodes draining one queue.
#include <catch2/catch.hpp>

#include <unordered_map>

#include "engine_test_helpers.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"

using namespace engine_test;
using namespace std::chrono_literals;

namespace {

// Counts runs per job id and the most jobs running at once.
class CountingWorker final : public oban::Worker {
 public:
  explicit CountingWorker(std::chrono::milliseconds work = 0ms) : work_(work) {}
  std::string name() const override { return "Test.Counting"; }
  oban::JobResult perform(oban::JobContext& context) override {
    const int now_running = running_.fetch_add(1) + 1;
    int seen = max_running.load();
    while (now_running > seen && !max_running.compare_exchange_weak(seen, now_running)) {
    }
    if (work_.count() > 0) std::this_thread::sleep_for(work_);  // simulated work, not a wait
    {
      std::lock_guard lock{mutex_};
      ++runs_[context.job.id];
    }
    running_.fetch_sub(1);
    total.fetch_add(1);
    return oban::JobResult::ok();
  }
  std::unordered_map<std::int64_t, int> runs() const {
    std::lock_guard lock{mutex_};
    return runs_;
  }
  std::atomic<int> max_running{0};
  std::atomic<int> total{0};

 private:
  std::chrono::milliseconds work_;
  std::atomic<int> running_{0};
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, int> runs_;
};

oban::NodeConfig config_for(test_support::TestSchema& schema, const std::string& queue, int limit, bool notifications,
                            std::chrono::milliseconds poll) {
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.queues = {{queue, limit}};
  config.notifications = notifications;
  config.poll_interval = poll;
  config.shutdown_grace = 2s;
  return config;
}

long long count_state(test_support::TestSchema& schema, const std::string& state, const std::string& worker = "") {
  return query_count(schema, "SELECT count(*) FROM " + schema.jobs_table() + " WHERE state = '" + state + "'" +
                                 (worker.empty() ? "" : " AND worker = '" + worker + "'"));
}

}  // namespace

TEST_CASE("a producer never runs more than its limit, with and without notifications", "[producer]") {
  const bool notifications = GENERATE(true, false);
  INFO("notifications " << notifications);
  test_support::TestSchema schema{"limit"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<CountingWorker>(15ms);
  registry.add(worker);
  // With notifications the poll is far away, so only the notification can wake the queue.
  oban::Node node{config_for(schema, "q", 3, notifications, notifications ? 30s : 100ms), registry};
  node.start();
  if (notifications) REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }));
  // Let the first (startup) fetch pass, so the insert below needs a wakeup.
  REQUIRE(wait_for([&] { return oban::internals(node).producer("q")->fetches() >= 1; }));
  PlainJob job;
  job.worker = "Test.Counting";
  job.queue = "q";
  for (int i = 0; i < 30; ++i) insert_plain(schema, job, notifications);
  REQUIRE(wait_for([&] { return count_state(schema, "completed") == 30; }, 15s));
  CHECK(worker->max_running.load() == 3);
  CHECK(worker->total.load() == 30);
  CHECK(oban::internals(node).producer("q")->running() == 0);
  node.stop();
}

TEST_CASE("a node survives its connections being terminated", "[producer]") {
  test_support::TestSchema schema{"dropped"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<CountingWorker>();
  registry.add(worker);
  oban::Node node{config_for(schema, "q", 2, true, 30s), registry};
  node.start();
  REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }));
  PlainJob job;
  job.worker = "Test.Counting";
  job.queue = "q";
  insert_plain(schema, job);
  REQUIRE(wait_for([&] { return count_state(schema, "completed") == 1; }));

  const auto terminated = query_count(
      schema, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
              "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND datname = current_database()) t");
  CHECK(terminated >= 2);  // the notifier's and at least one pool connection
  // The notifier notices, reconnects with backoff and LISTENs again.
  REQUIRE(wait_for([&] { return !oban::internals(node).notifier()->connected(); }, 2s));
  REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }, 5s));
  for (int i = 0; i < 5; ++i) insert_plain(schema, job);
  REQUIRE(wait_for([&] { return count_state(schema, "completed") == 6; }));
  node.stop();
}

TEST_CASE("two nodes drain 20,000 jobs, each run exactly once", "[producer]") {
  test_support::TestSchema schema{"drain"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<CountingWorker>();
  registry.add(worker);
  {
    // Oban.insert_all-style: one multi-row INSERT, then one notification.
    pqxx::work tx{schema.conn()};
    tx.exec("INSERT INTO " + schema.jobs_table() +
            " (args, attempt, errors, max_attempts, meta, queue, state, tags, worker) "
            "SELECT jsonb_build_object('n', n), 0, '{}', 20, '{}', 'bulk', 'available', '{}', "
            "CASE WHEN n <= 20000 THEN 'Test.Counting' ELSE 'MyApp.ElixirOnly' END "
            "FROM generate_series(1, 20100) AS n");
    tx.commit();
  }
  auto config_a = config_for(schema, "bulk", 50, true, 200ms);
  config_a.node = "cpp-a";
  auto config_b = config_a;
  config_b.node = "cpp-b";
  oban::Node node_a{config_a, registry};
  oban::Node node_b{config_b, registry};
  const auto begin = std::chrono::steady_clock::now();
  node_a.start();
  node_b.start();
  REQUIRE(wait_for([&] { return worker->total.load() >= 20000; }, 45s, 20ms));
  REQUIRE(wait_for([&] { return count_state(schema, "completed") == 20000; }, 5s, 20ms));
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  WARN("drained 20000 jobs in " << seconds << " s (" << 20000 / seconds << " jobs/s), fetches "
       << oban::internals(node_a).producer("bulk")->fetches() << " + "
       << oban::internals(node_b).producer("bulk")->fetches());
  node_a.stop();
  node_b.stop();

  const auto runs = worker->runs();
  CHECK(runs.size() == 20000);
  int more_than_once = 0;
  for (const auto& [id, count] : runs) more_than_once += count != 1 ? 1 : 0;
  CHECK(more_than_once == 0);
  CHECK(worker->total.load() == 20000);
  CHECK(count_state(schema, "executing") == 0);
  CHECK(count_state(schema, "available", "MyApp.ElixirOnly") == 100);
  CHECK(query_count(schema, "SELECT count(*) FROM " + schema.jobs_table() +
                                " WHERE worker = 'MyApp.ElixirOnly' AND (attempt <> 0 OR attempted_by IS NOT NULL)") == 0);
  // Both nodes took part.
  CHECK(query_count(schema, "SELECT count(DISTINCT attempted_by[1]) FROM " + schema.jobs_table() +
                                " WHERE state = 'completed'") == 2);
}

TEST_CASE("a wake during the dispatch cooldown is not lost", "[producer]") {
  // Completions wake the producer, often within 5 ms of its last fetch. With the poll 30 s
  // away and no notifications, only those wakes can keep the queue moving: if one were
  // dropped the drain would stall until the poll.
  test_support::TestSchema schema{"cooldown"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<CountingWorker>();
  registry.add(worker);
  PlainJob job;
  job.worker = "Test.Counting";
  job.queue = "q";
  for (int i = 0; i < 300; ++i) insert_plain(schema, job, false);
  oban::Node node{config_for(schema, "q", 5, false, 30s), registry};
  node.start();
  CHECK(wait_for([&] { return count_state(schema, "completed") == 300; }, 10s));
  CHECK(worker->total.load() == 300);
  node.stop();
}
