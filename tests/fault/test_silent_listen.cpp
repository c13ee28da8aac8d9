// e. The LISTEN connection goes silent (no FIN, no RST), as behind a dead NAT entry or a load
// balancer that lost its backend (issue 10, point 6). Polling and staging are set to a
// minute so they cannot mask the loss: the node must notice within a bound, listen again,
// and then obey a signal and an insert notification sent after the silence.
#include <catch2/catch.hpp>

#include <thread>

#include "fault_world.hpp"
#include "running_node.hpp"
#include "support/tcp_proxy.hpp"

using namespace fault;

TEST_CASE("e. the LISTEN connection goes silent: the node notices, listens again and obeys", "[fault][silent]") {
  constexpr auto kNoticeBound = 20s;
  FaultWorld world{"silent_listen"};
  test_support::TcpProxy proxy{"127.0.0.1", world.server().port()};
  auto config = world.node_config(world.server().dsn_for_port(proxy.port()), 3);
  // Neither the poll nor the stager's local wakeup (it wakes queues with available jobs on
  // each tick) may mask a lost notification.
  config.poll_interval = 60s;
  config.stage_interval = 60s;
  config.notifier.ping_interval = 1s;  // ping_timeout stays at its default (5 s)
  RunningNode node{world, config};
  REQUIRE(wait_for([&] { return node.internals().notifier()->connected() && proxy.listener_connections() == 1; }, scaled(10s)));
  // Notifications work before the silence (this is what the poll would otherwise hide).
  world.insert_jobs(5);
  REQUIRE(world.wait_until_settled(5s));

  proxy.silence_listeners();
  const auto silenced_at = std::chrono::steady_clock::now();
  const std::string scale = "{\"action\":\"scale\",\"queue\":\"" + std::string{kQueue} + "\",\"limit\":7}";
  // Sent again every second: a signal sent while the node is deaf is lost, as in Oban.
  const bool scaled = wait_for(
      [&] {
        world.exec("SELECT pg_notify('" + world.prefix() + ".oban_signal', '" + scale + "')");
        return node.producer().limit() == 7;
      },
      kNoticeBound, 1s);
  const auto noticed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - silenced_at).count();
  // Now an insert whose only wakeup is its notification.
  world.insert_jobs(5);
  world.wait_until_settled(5s);

  auto census = world.census();
  census.add("scale_obeyed", scaled ? 1 : 0);
  census.add("obeyed_after_ms", scaled ? std::to_string(noticed_ms) : std::string{"never"});
  census.add("notice_bound_ms", static_cast<long>(std::chrono::milliseconds{kNoticeBound}.count()));
  census.add("ping_interval_ms", 1000);
  census.add("listener_connections", proxy.listener_connections());
  proxy.drop_all();
  node.stop();
  world.report_and_check(census);
  CHECK(scaled);
}
