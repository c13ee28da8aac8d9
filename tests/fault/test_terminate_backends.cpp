// b. pg_terminate_backend of every backend of the node, twice, idle and under load (issue 10,
// point 2): a pooled connection the server closed must never reach a job.
#include <catch2/catch.hpp>

#include <thread>

#include "fault_world.hpp"
#include "running_node.hpp"

using namespace fault;

TEST_CASE("b. every backend terminated twice, idle and under load", "[fault][terminate]") {
  FaultWorld world{"terminate_backends"};
  RunningNode node{world, world.node_config(world.server().direct_dsn(), 10)};
  int terminated = 0;

  // Idle: the pool holds connections the jobs used, then sits; every backend is killed.
  world.insert_jobs(40, {.sleep_ms = 20, .db = true});
  REQUIRE(world.wait_until_settled(20s));
  std::this_thread::sleep_for(1s);
  terminated += world.server().terminate_role_backends();
  std::this_thread::sleep_for(500ms);  // the notifier has reconnected by now: kill it again
  terminated += world.server().terminate_role_backends();
  std::this_thread::sleep_for(1s);
  // Jobs that use the database through the pool, as Rindle's do: none may get a dead one.
  world.insert_jobs(200, {.db = true});
  world.wait_until_settled(20s);
  const std::string broken = "errors::text ~* 'broken_connection|not connected|server closed'";
  const long idle_broken = world.count(broken);

  // Under load: killed twice while jobs are fetched, run and acked.
  world.insert_jobs(2000, {.sleep_ms = 2});
  wait_for([&] { return world.count("state = 'completed'") >= 240 + 500; }, scaled(30s));
  terminated += world.server().terminate_role_backends();
  wait_for([&] { return world.count("state = 'completed'") >= 240 + 1200; }, scaled(30s));
  terminated += world.server().terminate_role_backends();
  world.wait_until_settled(30s);

  auto census = world.census();
  census.add("backends_terminated", terminated);
  census.add("idle_broken_connection_errors", idle_broken);
  census.add("broken_connection_errors", world.count(broken));
  node.stop();
  world.report_and_check(census);
  CHECK(idle_broken == 0);
}
