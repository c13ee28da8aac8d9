// l. Shutdown with workers that ignore their stop token (issue 10, point 5: "performs still
// running after the grace use services the runtime has destroyed"). An in-process node, as
// a library user runs one: grace 1 s, hard deadline 1 s, and performs that sleep 6 s
// whatever their stop token says. stop() returns within the two deadlines (plus the last
// acks' window) and says how many performs it gave up; their rows are released at once,
// not left executing for a Lifeline. The node is then destroyed while those performs still
// run; when they return, nothing of the node may be touched (the ASan build catches a use
// after free). A second node runs the released jobs: each runs twice, on one attempt.
#include <catch2/catch.hpp>

#include <thread>

#include "fault_world.hpp"
#include "log_capture.hpp"
#include "running_node.hpp"

using namespace fault;

TEST_CASE("l. stop() with performs that ignore their stop token", "[fault][stragglers]") {
  constexpr int kStuck = 4;
  constexpr auto kSleep = 6s;
  FaultWorld world{"shutdown_stragglers"};
  auto config = world.node_config(world.server().direct_dsn(), kStuck);
  config.shutdown_grace = 1s;
  config.shutdown_hard_deadline = 1s;
  // The stop bound: both deadlines, the last acks' window and the loops' own stops.
  const auto stop_bound = config.shutdown_grace + config.shutdown_hard_deadline + scaled(2s);
  long stragglers = -1;
  long released_at_stop = -1;
  long executing_at_stop = -1;
  std::chrono::milliseconds stop_took{0};
  {
    RunningNode node{world, config};
    world.insert_jobs(kStuck, {.mode = "ignore_stop", .sleep_ms = static_cast<int>(kSleep / 1ms)});
    REQUIRE(wait_for([&] { return world.worker().running_now() == kStuck; }, scaled(10s)));
    const auto began = std::chrono::steady_clock::now();
    node.stop();
    stop_took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
    stragglers = static_cast<long>(node->stragglers());
    released_at_stop = world.count("state = 'available'");
    executing_at_stop = world.count("state = 'executing'");
  }  // the node is destroyed here, its given-up performs still sleeping
  const long still_running_after_destroy = world.worker().running_now();
  // They return now and must touch nothing of the destroyed node.
  REQUIRE(wait_for([&] { return world.worker().running_now() == 0; }, kSleep + scaled(5s)));

  RunningNode next{world, world.node_config(world.server().direct_dsn(), kStuck)};
  // The reruns ignore their stop token too, but now nothing stops them: 6 s each.
  world.wait_until_settled(kSleep + 10s);
  auto census = world.census();
  census.add("stop_ms", static_cast<long>(stop_took.count()));
  census.add("stop_bound_ms", static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(stop_bound).count()));
  census.add("stragglers", stragglers);
  census.add("released_at_stop", released_at_stop);
  census.add("executing_at_stop", executing_at_stop);
  census.add("running_after_destroy", still_running_after_destroy);
  census.add("queue_released_events", static_cast<long>(LogCapture::instance().count_events("queue:released")));
  
  next.stop();
  world.report_and_check(census);
  CHECK(stop_took <= stop_bound);
  CHECK(stragglers == kStuck);
  CHECK(released_at_stop == kStuck);
  CHECK(executing_at_stop == 0);
  CHECK(still_running_after_destroy == kStuck);
  CHECK(census.get("queue_released_events") == "1");

}
