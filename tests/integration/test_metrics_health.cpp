// /metrics, /healthz and /readyz of a real node: the scrape passes `promtool check
// metrics` and counts exactly the jobs that ran; readiness follows the database as a
// private server goes away and comes back; a stuck loop fails liveness.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <map>
#include <sstream>

#include "engine_test_helpers.hpp"
#include "observe_test_helpers.hpp"
#include "oban/db/schema.hpp"
#include "oban/plugins/plugin.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"
#include "oban/runtime/node_observer.hpp"
#include "testkit/private_postgres.hpp"

using namespace observe_test;
using namespace std::chrono_literals;

namespace {

oban::NodeConfig node_config(const std::string& dsn, const std::string& prefix, const std::string& node) {
  oban::NodeConfig config;
  config.dsn = dsn;
  config.prefix = prefix;
  config.node = node;
  config.queues = {{"gamma", 10}};
  config.shutdown_grace = 200ms;
  config.stage_interval = 200ms;
  config.pruner = true;  // off by default: on here, so its loop is among the node's loops
  return config;
}

std::int64_t insert_job(oban::Node& node, const std::string& args, int max_attempts = 3) {
  oban::NewJob job;
  job.worker = "Rec.Worker";
  job.queue = "gamma";
  job.args = args;
  job.max_attempts = max_attempts;
  return oban::internals(node).inserter().insert(job).job.id;
}

// Each sample line of an exposition ("name{labels} value"), by "name{labels}".
std::map<std::string, double> samples(const std::string& exposition) {
  std::map<std::string, double> out;
  std::istringstream in{exposition};
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

double sample(const std::map<std::string, double>& all, const std::string& series) {
  const auto found = all.find(series);
  if (found == all.end()) throw std::runtime_error("no sample " + series);
  return found->second;
}

double sum_of(const std::map<std::string, double>& all, const std::string& name_prefix) {
  double sum = 0;
  for (const auto& [series, value] : all) {
    if (series.starts_with(name_prefix)) sum += value;
  }
  return sum;
}

// A plugin whose run blocks until released: a loop stuck in one step.
class StuckPlugin final : public oban::plugins::Plugin {
 public:
  std::string name() const override { return "Test.Stuck"; }
  oban::plugins::PluginReport run() override {
    std::unique_lock lock{mutex_};
    entered_ = true;
    cv_.wait_for(lock, 30s, [&] { return released_; });
    return {};
  }
  std::chrono::milliseconds next_delay() const override { return 50ms; }
  std::chrono::milliseconds first_delay() const override { return 0ms; }
  bool leader_only() const override { return false; }
  void release() {
    {
      std::lock_guard lock{mutex_};
      released_ = true;
    }
    cv_.notify_all();
  }
  bool entered() {
    std::lock_guard lock{mutex_};
    return entered_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool released_ = false;
};

}  // namespace

TEST_CASE("/metrics while jobs run passes promtool, and its job counters equal the jobs run", "[metrics]") {
  test_support::TestSchema schema{"metrics"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<RecWorker>("gamma");
  registry.add(worker);
  oban::Node node{node_config(schema.dsn(), schema.prefix(), "cpp-metrics"), registry};
  oban::NodeObserver observer{node, {}};
  node.start();

  // What each job does, and the state Oban's telemetry gives it.
  std::map<std::string, int> expected;
  std::vector<std::int64_t> ids;
  const auto add = [&](const std::string& args, const std::string& state, int count, int max_attempts = 3) {
    for (int i = 0; i < count; ++i) ids.push_back(insert_job(node, args, max_attempts));
    expected[state] += count;
  };
  add(R"({"action":"sleep","sleep":1500})", "success", 2);  // running while we scrape
  add(R"({"action":"ok"})", "success", 5);
  add(R"({"action":"error"})", "failure", 3);               // retryable, its backoff far away
  add(R"({"action":"raise"})", "discard", 2, 1);
  add(R"({"action":"snooze"})", "snoozed", 2);
  add(R"({"action":"cancel"})", "cancelled", 2);
  add(R"({"action":"sleep","sleep":2000,"timeout":100})", "discard", 1, 1);

  REQUIRE(eventually([&] { return worker->running.load() == 2; }, 10s));
  const auto during = http_get(observer.port(), "/metrics");
  CHECK(during.status == 200);
  CHECK(during.content_type == oban::observe::MetricsRegistry::kContentType);
  const auto checked_during = promtool_check_metrics(during.body);
  INFO(during.body);
  CHECK(checked_during.output == "");
  CHECK(checked_during.status == 0);
  CHECK(sample(samples(during.body), R"(oban_queue_running{queue="gamma"})") >= 2);

  const std::string jobs = schema.jobs_table();
  REQUIRE(engine_test::wait_for(
      [&] {
        return engine_test::query_count(schema, "SELECT count(*) FROM " + jobs +
                                                    " WHERE state IN ('available', 'executing')") == 0 &&
               oban::internals(node).completer()->pending() == 0;
      },
      20s));
  const auto after = http_get(observer.port(), "/metrics");
  const auto checked_after = promtool_check_metrics(after.body);
  INFO(after.body);
  CHECK(checked_after.output == "");
  CHECK(checked_after.status == 0);
  const auto all = samples(after.body);
  double total = 0;
  for (const auto& [state, count] : expected) {
    INFO("state " << state);
    CHECK(sample(all, R"(oban_jobs_total{queue="gamma",worker="Rec.Worker",state=")" + state + "\"}") == count);
    CHECK(sample(all, R"(oban_job_duration_seconds_count{queue="gamma",worker="Rec.Worker",state=")" + state + "\"}") ==
          count);
    total += count;
  }
  CHECK(sum_of(all, "oban_jobs_total{") == total);
  CHECK(sample(all, R"(oban_job_queue_time_seconds_count{queue="gamma",worker="Rec.Worker"})") == total);
  CHECK(static_cast<std::size_t>(total) == ids.size());
  // The engine's spans: fetches and acks were timed, the inserts too.
  CHECK(sample(all, R"(oban_engine_duration_seconds_count{operation="fetch_jobs"})") >= 1);
  CHECK(sample(all, R"(oban_engine_duration_seconds_count{operation="ack_jobs"})") >= 1);
  CHECK(sample(all, R"(oban_engine_duration_seconds_count{operation="insert_job"})") == static_cast<double>(ids.size()));
  CHECK(sample(all, "oban_completer_backlog") == 0);
  CHECK(sample(all, "oban_completer_held_acks") == 0);
  CHECK(sample(all, "oban_pool_size") > 0);
  CHECK(sample(all, R"(oban_pool_connections{state="in_use"})") >= 0);
  CHECK(sample(all, "oban_notifier_connected") == 1);
  CHECK(sample(all, "oban_database_up") == 1);
  CHECK(sample(all, R"(oban_queue_limit{queue="gamma"})") == 10);
  CHECK(sample(all, R"(oban_queue_running{queue="gamma"})") == 0);
  REQUIRE(eventually([&] { return node.is_leader(); }, 10s));
  CHECK(sample(samples(http_get(observer.port(), "/metrics").body), "oban_leader") == 1);
  CHECK(http_get(observer.port(), "/nowhere").status == 404);
  node.stop();
}

TEST_CASE("/readyz follows the database as it goes away and comes back; /healthz stays up", "[health]") {
  testkit::PrivatePostgres server;
  {
    auto conn = oban::db::connect(server.dsn());
    oban::db::migrate(*conn, "public");
  }
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<RecWorker>("gamma"));
  oban::Node node{node_config(server.dsn(), "public", "cpp-health"), registry};
  oban::ObserveOptions options;
  options.readiness_interval = 100ms;
  oban::NodeObserver observer{node, options};
  CHECK(http_get(observer.port(), "/healthz").status == 503);  // not started
  node.start();

  const auto status = [&](const char* path) { return http_get(observer.port(), path).status; };
  REQUIRE(eventually([&] { return status("/readyz") == 200; }, 10s));
  CHECK(status("/healthz") == 200);
  const auto ready = oban::json::parse(http_get(observer.port(), "/readyz").body);
  CHECK(*ready.find("database")->find("ok") == Value{true});
  CHECK(*ready.find("listen_connection")->find("ok") == Value{true});
  const auto healthy = oban::json::parse(http_get(observer.port(), "/healthz").body);
  std::set<std::string> loops;
  for (const auto& loop : *healthy.find("loops")->if_array()) loops.insert(text(loop, "name"));
  // Every loop of the node is covered.
  for (const char* name : {"completer", "producer:gamma", "notifier", "peer", "Oban.Stager", "Oban.Plugins.Pruner",
                           "Oban.Plugins.Lifeline", "Oban.Sonar", "Oban.Met.Examiner"}) {
    INFO(name);
    CHECK(loops.count(name) == 1);
  }

  server.stop_server(testkit::StopMode::fast);
  REQUIRE(eventually([&] { return status("/readyz") == 503; }, 10s));
  const auto not_ready = oban::json::parse(http_get(observer.port(), "/readyz").body);
  CHECK(*not_ready.find("database")->find("ok") == Value{false});
  CHECK_FALSE(text(*not_ready.find("database"), "error").empty());
  REQUIRE(eventually([&] { return *oban::json::parse(http_get(observer.port(), "/readyz").body)
                                       .find("listen_connection")
                                       ->find("ok") == Value{false}; },
                     10s));
  // The loops keep retrying: alive throughout the outage (restarting would not help).
  for (int i = 0; i < 10; ++i) {
    CHECK(status("/healthz") == 200);
    std::this_thread::sleep_for(100ms);
  }

  server.start_server();
  REQUIRE(eventually([&] { return status("/readyz") == 200; }, 20s));
  CHECK(status("/healthz") == 200);
  node.stop();
  CHECK(status("/healthz") == 503);
  CHECK(status("/readyz") == 503);
}

TEST_CASE("a loop stuck in one step fails /healthz until it moves again", "[health]") {
  test_support::TestSchema schema{"stuck"};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<RecWorker>("gamma"));
  oban::Node node{node_config(schema.dsn(), schema.prefix(), "cpp-stuck"), registry};
  auto plugin = std::make_unique<StuckPlugin>();
  auto* stuck = plugin.get();
  node.add_plugin(std::move(plugin));
  oban::ObserveOptions options;
  options.stuck_after = 300ms;
  oban::NodeObserver observer{node, options};
  node.start();
  REQUIRE(eventually([&] { return stuck->entered(); }, 10s));

  REQUIRE(eventually([&] { return http_get(observer.port(), "/healthz").status == 503; }, 10s));
  const auto body = oban::json::parse(http_get(observer.port(), "/healthz").body);
  std::vector<std::string> failing;
  for (const auto& loop : *body.find("loops")->if_array()) {
    if (*loop.find("alive") == Value{false}) failing.push_back(text(loop, "name"));
  }
  CHECK(std::find(failing.begin(), failing.end(), "Test.Stuck") != failing.end());
  CHECK(text(body, "status") == "failing");

  stuck->release();
  REQUIRE(eventually([&] { return http_get(observer.port(), "/healthz").status == 200; }, 10s));
  node.stop();
}

TEST_CASE("docker-compose's Prometheus configuration passes promtool", "[metrics]") {
  // The config lives inline in docker-compose.yml (configs: prometheus: content: |): take the
  // block's lines and remove their common indentation.
  std::ifstream compose{std::string{OBAN_SOURCE_DIR} + "/docker-compose.yml"};
  REQUIRE(compose);
  std::string line, yaml;
  bool inside = false;
  std::size_t indent = std::string::npos;
  while (std::getline(compose, line)) {
    if (!inside) {
      inside = line.find("content: |") != std::string::npos;
      continue;
    }
    if (line.find_first_not_of(' ') == std::string::npos) continue;
    const auto depth = line.find_first_not_of(' ');
    if (indent == std::string::npos) indent = depth;
    if (depth < indent) break;
    yaml += line.substr(indent) + "\n";
  }
  REQUIRE(yaml.find("scrape_configs:") != std::string::npos);
  const auto checked = observe_test::run_promtool("config", yaml);
  INFO(checked.output);
  CHECK(checked.status == 0);
}
