// k. Every connection cut, and for 8 s new ones accepted by a proxy that never answers (a
// load balancer whose backend is gone; issue 10, point 6: "connecting has no timeout", "the
// pool waits forever"). Connecting and waiting for a pooled connection are bounded, so once
// the path works again every job completes.
#include <catch2/catch.hpp>

#include <thread>

#include "fault_world.hpp"
#include "running_node.hpp"
#include "support/tcp_proxy.hpp"

using namespace fault;

TEST_CASE("k. connections into a black hole for 8 s: bounded connects, everything completes", "[fault][blackhole]") {
  FaultWorld world{"connect_blackhole"};
  test_support::TcpProxy proxy{"127.0.0.1", world.server().port()};
  auto config = world.node_config(world.server().dsn_for_port(proxy.port()), 5);
  // Bounds shorter than the defaults, so the 8 s black hole outlasts several of them.
  config.db_connect_timeout = 2s;
  config.notifier.connect_timeout = 2s;
  config.db_acquire_timeout = 5s;
  RunningNode node{world, config};
  world.insert_jobs(100, {.sleep_ms = 20});
  wait_for([&] { return world.count("state = 'completed'") >= 20; }, scaled(20s));

  proxy.silence_all();
  proxy.drop_all();  // every open connection cut; every reconnect hangs after the TCP handshake
  std::this_thread::sleep_for(8s);
  proxy.pass_through();
  world.wait_until_settled(30s);

  auto census = world.census();
  census.add("connect_timeout_ms", 2000);
  census.add("acquire_timeout_ms", 5000);
  census.add("connections_accepted", proxy.connections_accepted());
  proxy.drop_all();  // releases whatever still hangs on the black hole, so stop() can finish
  node.stop();
  world.report_and_check(census);
}
