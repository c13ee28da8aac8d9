// Elixir eating C++ jobs: an Elixir node without a worker's module fails its jobs with
// `** (RuntimeError) unknown worker: <Worker>`. The node warns, per worker, naming the nodes
// and counts, at most once a minute, never for its own rows; `rindle-worker status` lists them.
#include <catch2/catch.hpp>

#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "guest_test_helpers.hpp"
#include "oban/db/connection.hpp"
#include "oban/plugins/unknown_worker_watch.hpp"
#include "oban/runtime/node.hpp"
#include "rindle/mux_sync_coordinator.hpp"
#include "rindle/mux_sync_provider_asset.hpp"
#include "support/test_database.hpp"

using namespace std::chrono_literals;
using namespace guest_test;
using Catch::Matchers::Contains;
using test_support::TestSchema;

namespace {

const std::string kProvider = rindle::kProviderAssetWorker;
const std::string kCoordinatorName = rindle::kCoordinatorWorker;
const std::string kThisNode = "cpp-guest-1";
const std::string kOtherElixirNode = "web-2@10.0.0.8";

oban::plugins::UnknownWorkerWatchConfig watch_config(TestSchema& schema) {
  oban::plugins::UnknownWorkerWatchConfig config;
  config.prefix = schema.prefix();
  config.node = kThisNode;
  config.workers = {kProvider, kCoordinatorName};
  return config;
}

const oban::Value::Object& metadata_for(const std::vector<oban::telemetry::Event>& events, const std::string& worker) {
  for (const auto& event : events) {
    if (event.metadata.at("worker") == oban::Value{worker}) return event.metadata;
  }
  FAIL("no warning for " << worker);
  throw std::logic_error("unreachable");
}

class NamedWorker final : public oban::Worker {
 public:
  explicit NamedWorker(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  oban::WorkerOptions options() const override {
    oban::WorkerOptions o;
    o.queue = "rindle_provider";
    return o;
  }
  oban::JobResult perform(oban::JobContext&) override { return oban::JobResult::ok(); }

 private:
  std::string name_;
};

// What an Elixir node without the modules leaves, plus rows that must not count.
void seed(TestSchema& schema, oban::Timestamp now) {
  insert_unknown_worker_failure(schema, kProvider, kElixirNode, now - 20s);
  insert_unknown_worker_failure(schema, kProvider, kOtherElixirNode, now - 10s);
  insert_unknown_worker_failure(schema, kProvider, kOtherElixirNode, now - 9s);
  insert_unknown_worker_failure(schema, kCoordinatorName, kElixirNode, now - 5s, 1);  // discarded at once
  // Not counted: this node's own row; another error; a worker this node lacks; too old.
  insert_unknown_worker_failure(schema, kProvider, kThisNode, now - 8s);
  insert_unknown_worker_failure(schema, kProvider, kElixirNode, now - 7s, 3, "** (RuntimeError) boom ");
  insert_unknown_worker_failure(schema, kElixirWorker, kElixirNode, now - 6s);
  insert_unknown_worker_failure(schema, kProvider, kElixirNode, now - 30h);  // outside both windows
}

}  // namespace

TEST_CASE("the unknown-worker watch warns per worker with nodes and counts, at most once a minute",
          "[guest][unknown_worker]") {
  TestSchema schema{"unknown"};
  oban::db::ConnectionPool pool{schema.dsn(), 1};
  oban::ManualClock clock{oban::SystemClock::instance().now()};
  seed(schema, clock.now());
  Recorder recorder{{"unknown_worker:"}};
  oban::plugins::UnknownWorkerWatch watch{pool, watch_config(schema), clock};
  CHECK_FALSE(watch.leader_only());

  auto check = watch.run_once();
  CHECK(check.new_failures == 4);
  using Counts = oban::plugins::NodeCounts;
  CHECK(check.reported == std::map<std::string, Counts>{{kProvider, {{kElixirNode, 1}, {kOtherElixirNode, 2}}},
                                                        {kCoordinatorName, {{kElixirNode, 1}}}});
  auto warnings = recorder.named("unknown_worker:failures");
  REQUIRE(warnings.size() == 2);
  for (const auto& event : warnings) CHECK(event.level == oban::telemetry::Level::warning);
  const auto& provider = metadata_for(warnings, kProvider);
  CHECK(provider.at("count") == oban::Value{3});
  CHECK(provider.at("nodes") == oban::Value{oban::Value::Object{{kElixirNode, 1}, {kOtherElixirNode, 2}}});
  CHECK_THAT(warnings.front().message, Contains("unknown worker"));
  CHECK(metadata_for(warnings, kCoordinatorName).at("count") == oban::Value{1});

  // Seen once: the same rows are not counted again.
  recorder.clear();
  clock.advance(10s);
  CHECK(watch.run_once().new_failures == 0);
  CHECK(recorder.named("unknown_worker:failures").empty());

  // A new failure within the minute is counted but waits for the next report.
  insert_unknown_worker_failure(schema, kProvider, kElixirNode, clock.now() - 1s);
  clock.advance(10s);
  check = watch.run_once();
  CHECK(check.new_failures == 1);
  CHECK(check.reported.empty());
  CHECK(recorder.named("unknown_worker:failures").empty());
  clock.advance(41s);  // 61 s after the first report
  check = watch.run_once();
  CHECK(check.new_failures == 0);
  CHECK(check.reported == std::map<std::string, Counts>{{kProvider, {{kElixirNode, 1}}}});
  warnings = recorder.named("unknown_worker:failures");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings.front().metadata.at("count") == oban::Value{1});
}

TEST_CASE("a running node warns about its workers' jobs failed as unknown worker by other nodes",
          "[guest][unknown_worker]") {
  TestSchema schema{"unknown"};
  oban::ManualClock clock{oban::SystemClock::instance().now()};
  seed(schema, clock.now());
  Recorder recorder{{"unknown_worker:"}};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<NamedWorker>(kProvider));  // this node has the provider worker only
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = kThisNode;
  config.queues = {{"rindle_provider", 1}};
  oban::Node node{config, registry, clock};
  node.start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (recorder.named("unknown_worker:failures").empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  node.stop();
  const auto warnings = recorder.named("unknown_worker:failures");
  REQUIRE(warnings.size() == 1);  // its own worker's only; not the coordinator, which it lacks
  CHECK(warnings.front().level == oban::telemetry::Level::warning);
  CHECK(warnings.front().metadata.at("worker") == oban::Value{kProvider});
  CHECK(warnings.front().metadata.at("count") == oban::Value{3});
  CHECK(warnings.front().metadata.at("nodes") ==
        oban::Value{oban::Value::Object{{kElixirNode, 1}, {kOtherElixirNode, 2}}});
}

TEST_CASE("rindle-worker status lists unknown-worker failures by worker and node", "[guest][unknown_worker][cli]") {
  TestSchema schema{"unknown"};
  ScopedEnv url{"DATABASE_URL", schema.dsn()};
  const auto now = oban::SystemClock::instance().now();
  const auto run_status = [&] {
    std::ostringstream out;
    auto* old = std::cout.rdbuf(out.rdbuf());
    const int code = cli::status_command({"--prefix", schema.prefix()});
    std::cout.rdbuf(old);
    CHECK(code == 0);
    return out.str();
  };
  CHECK_THAT(run_status(), Contains("unknown-worker failures") && Contains("(none)"));
  seed(schema, now);
  const auto text = run_status();
  INFO(text);
  const auto section = text.substr(text.find("unknown-worker failures"));
  CHECK_THAT(section, Contains(kProvider) && Contains(kCoordinatorName) && Contains(kElixirNode) &&
                          Contains(kOtherElixirNode));
  // Status is no node: every node's failures count, this node's name included (a C++ node
  // never fails its own workers this way), but not another error, another worker or the old row.
  std::istringstream lines{section};
  std::map<std::string, std::string> jobs;  // "worker node" -> jobs column
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words{line};
    std::string worker, node, count;
    words >> worker >> node >> count;
    if (worker.rfind("Rindle.", 0) == 0 || worker == kElixirWorker) jobs[worker + " " + node] = count;
  }
  CHECK(jobs == std::map<std::string, std::string>{{kProvider + " " + kElixirNode, "1"},
                                                   {kProvider + " " + kOtherElixirNode, "2"},
                                                   {kProvider + " " + kThisNode, "1"},
                                                   {kCoordinatorName + " " + kElixirNode, "1"}});
}
