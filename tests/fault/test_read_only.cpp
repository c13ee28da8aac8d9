// c. The database read-only for 20 s with jobs in flight (a failover, a full disk; issue 10,
// point 1): refused acks are kept and land afterwards, and no job runs again.
#include <catch2/catch.hpp>

#include <thread>

#include "fault_world.hpp"
#include "log_capture.hpp"
#include "running_node.hpp"

using namespace fault;

TEST_CASE("c. the database read-only for 20 s with jobs in flight", "[fault][read_only]") {
  FaultWorld world{"read_only_20s"};
  RunningNode node{world, world.node_config(world.server().direct_dsn(), 10)};
  world.insert_jobs(300, {.sleep_ms = 100});
  wait_for([&] { return world.count("state = 'completed'") >= 50; }, scaled(30s));

  world.exec("ALTER SYSTEM SET default_transaction_read_only = on");
  world.exec("SELECT pg_reload_conf()");
  long held_max = 0;
  const auto until = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < until) {
    held_max = std::max(held_max, static_cast<long>(node.internals().completer()->held()));
    std::this_thread::sleep_for(100ms);
  }
  const long executing_at_end = world.count("state = 'executing'");
  // Back to writable: the test's own session may write whatever the default says.
  world.exec("SET default_transaction_read_only = off");
  world.exec("ALTER SYSTEM RESET default_transaction_read_only");
  world.exec("SELECT pg_reload_conf()");

  world.wait_until_settled(20s);
  auto census = world.census();
  census.add("executing_when_writable_again", executing_at_end);
  census.add("held_acks_max", held_max);
  const auto held_after = static_cast<long>(node.internals().completer()->held());
  census.add("held_acks_after", held_after);
  census.add("held_events", static_cast<long>(LogCapture::instance().count_events("completer:held")));
  census.add("lost_events", static_cast<long>(LogCapture::instance().count_events("completer:lost")));
  node.stop();
  world.report_and_check(census);
  CHECK(held_after == 0);
  CHECK(held_max > 0);  // the node said it held refused acks
  CHECK(census.get("held_events") != "0");  // ... and reported it
  CHECK(census.get("lost_events") == "0");
}
