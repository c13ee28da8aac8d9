// a. pg_ctl stop -m immediate and a restart, three times, under load (issue 10, points 2 and 3): a
// crash can land in the middle of a fetch's or an ack's commit, and after it every pooled
// connection is dead.
#include <catch2/catch.hpp>

#include "fault_world.hpp"
#include "running_node.hpp"

using namespace fault;

TEST_CASE("a. immediate stop and restart of PostgreSQL under load", "[fault][restart]") {
  FaultWorld world{"immediate_restart"};
  RunningNode node{world, world.node_config(world.server().direct_dsn(), 20)};
  // The workers' pool fills with connections first; the load itself stays off the database
  // (a job whose own query meets the crash fails, and that is no fault of the engine).
  world.insert_jobs(40, {.sleep_ms = 20, .db = true});
  REQUIRE(world.wait_until_settled(20s));
  world.insert_jobs(3000, {.sleep_ms = 1});
  int restarts = 0;
  for (const long completed : {500L, 1300L, 2100L}) {
    wait_for([&] { return world.count("state = 'completed'") >= 40 + completed; }, scaled(30s));
    world.server().postgres().restart(testkit::StopMode::immediate);
    ++restarts;
  }
  // After the crashes: jobs that use the workers' pool, which holds only dead connections.
  world.insert_jobs(100, {.db = true});
  world.wait_until_settled(30s);
  auto census = world.census();
  census.add("restarts", restarts);
  census.add("stranded_with_node_uuid",
             world.count("state = 'executing' AND attempted_by[1] = '" + node->name() + "'"));
  node.stop();
  world.report_and_check(census);
}
