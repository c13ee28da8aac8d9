// rindle-worker pause|resume|scale|cancel|retry, run as an operator runs them, obeyed by a
// running node; their help and their errors.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>

#include "engine_test_helpers.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"

using namespace engine_test;
using namespace std::chrono_literals;

namespace {

struct Run {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs rindle-worker with `arguments` (shell words) against the schema's database.
Run rindle_worker(test_support::TestSchema& schema, const std::string& arguments) {
  const std::string command = "DATABASE_URL=" + oban::db::quote_literal(schema.dsn()) + " OBAN_PREFIX=" +
                              oban::db::quote_literal(schema.prefix()) + " " + OBAN_RINDLE_WORKER + " " + arguments +
                              " 2>&1";
  Run run;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) run.output += buffer;
  const int status = pclose(pipe);
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

}  // namespace

TEST_CASE("rindle-worker sends pause, resume, scale, cancel and retry, and a node obeys", "[cli][signals]") {
  test_support::TestSchema schema{"cli_signals"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<AnchorWorker>();
  registry.add(worker);
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = "cpp-cli";
  config.queues = {{"rindle_provider", 4}, {"other", 2}};
  config.poll_interval = 30s;
  config.shutdown_grace = 1s;
  config.leadership = false;
  oban::Node node{config, registry};
  node.start();
  REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }));
  auto* producer = oban::internals(node).producer("rindle_provider");
  auto* other = oban::internals(node).producer("other");

  auto run = rindle_worker(schema, "pause --queue rindle_provider");
  CHECK(run.status == 0);
  CHECK(run.output == "pause sent to queue rindle_provider on every node\n");
  REQUIRE(wait_for([&] { return producer->paused(); }));
  CHECK_FALSE(other->paused());

  CHECK(rindle_worker(schema, "resume --queue rindle_provider --node cpp-cli").status == 0);
  REQUIRE(wait_for([&] { return !producer->paused(); }));

  run = rindle_worker(schema, "scale --all-queues --limit 3 --node cpp-cli");
  CHECK(run.output == "scale to 3 sent to every queue on node cpp-cli\n");
  REQUIRE(wait_for([&] { return producer->limit() == 3 && other->limit() == 3; }));
  CHECK(rindle_worker(schema, "scale --queue other --limit 9 --node elixir-1@host").status == 0);  // not this node
  CHECK(rindle_worker(schema, "scale --queue other --limit 2").status == 0);
  REQUIRE(wait_for([&] { return other->limit() == 2; }));

  PlainJob sleeping;
  sleeping.args = R"({"anchor_action": "sleep", "sleep_ms": 20000})";
  const auto executing = insert_plain(schema, sleeping);
  REQUIRE(wait_for([&] { return worker->sleeping.load() == 1; }));
  run = rindle_worker(schema, "cancel " + std::to_string(executing) + " 999999");
  CHECK(run.status == 1);  // one id did not change
  CHECK(run.output == "job " + std::to_string(executing) + ": cancelled\njob 999999: not cancelled (no such job, or it " +
                          "already completed, was discarded or cancelled)\n");
  REQUIRE(wait_for([&] { return worker->stopped_early.load() == 1; }));
  CHECK(job_state(schema, executing) == "cancelled");

  run = rindle_worker(schema, "retry --id " + std::to_string(executing));
  CHECK(run.status == 0);
  CHECK(run.output == "job " + std::to_string(executing) + ": retried\n");
  CHECK(job_state(schema, executing) == "available");
  node.stop();
}

TEST_CASE("rindle-worker's signal commands explain themselves and refuse bad input", "[cli]") {
  test_support::TestSchema schema{"cli_errors"};
  for (const auto* command : {"pause", "resume", "scale", "cancel", "retry"}) {
    const auto help = rindle_worker(schema, std::string{command} + " --help");
    CHECK(help.status == 0);
    CHECK_THAT(help.output, Catch::Contains(std::string{"rindle-worker "} + command));
    CHECK_THAT(help.output, Catch::Contains("--prefix"));
  }
  CHECK_THAT(rindle_worker(schema, "--help").output, Catch::Contains("scale\tchange a queue's limit"));

  auto run = rindle_worker(schema, "pause");
  CHECK(run.status == 1);
  CHECK(run.output == "rindle-worker pause: give either --queue NAME or --all-queues\n");
  run = rindle_worker(schema, "scale --queue q --limit 0");
  CHECK(run.output == "rindle-worker scale: --limit must be a positive integer, got 0\n");
  run = rindle_worker(schema, "scale --queue q");
  CHECK_THAT(run.output, Catch::Contains("rindle-worker scale: the option '--limit' is required"));
  run = rindle_worker(schema, "cancel");
  CHECK(run.output == "rindle-worker cancel: give the ids of the jobs to cancel\n");
  run = rindle_worker(schema, "retry abc");
  CHECK(run.status == 1);
  CHECK_THAT(run.output, Catch::Contains("rindle-worker retry: the argument ('abc') for option '--id' is invalid"));
  run = rindle_worker(schema, "cancel -- -5");
  CHECK(run.output == "rindle-worker cancel: job ids are positive integers, got -5\n");
}
