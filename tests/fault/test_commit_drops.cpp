// d. The connection lost right after a COMMIT landed, for the fetch and for the ack (issue 10,
// points 3 and 4): the client cannot tell whether it committed. The fetch's jobs must not be
// stranded executing; an ack must not be written twice (a second errors entry, a snooze's
// max_attempts raised twice) nor dropped.
#include <catch2/catch.hpp>

#include "fault_world.hpp"
#include "running_node.hpp"
#include "sql_matchers.hpp"
#include "support/tcp_proxy.hpp"

using namespace fault;

TEST_CASE("d. a proxy drops the connection right after the fetch's and the ack's COMMIT", "[fault][in_doubt]") {
  FaultWorld world{"commit_dropped"};
  test_support::TcpProxy proxy{"127.0.0.1", world.server().port()};
  RunningNode node{world, world.node_config(world.server().dsn_for_port(proxy.port()), 10)};

  // Fetch: paused while the jobs go in, so the fetches the rule hits carry jobs.
  node.producer().pause();
  world.insert_jobs(100, {.sleep_ms = 5});
  proxy.drop_after_commit(is_fetch, 2);
  node.producer().resume();
  wait_for([&] { return proxy.drops_fired() == 2; }, scaled(10s));
  const int fetch_drops = proxy.drops_fired();
  world.wait_until_settled(10s);
  const long stranded_after_fetch_drops = world.count("state = 'executing'");

  // Ack: the first acks carry first runs that error and snooze by design.
  proxy.drop_after_commit(is_ack, 3);
  world.insert_jobs(10, {.mode = "error_once", .sleep_ms = 5});
  world.insert_jobs(10, {.mode = "snooze_once", .sleep_ms = 5});
  world.insert_jobs(10, {.sleep_ms = 5});
  wait_for([&] { return proxy.drops_fired() == fetch_drops + 3; }, scaled(10s));
  const int ack_drops = proxy.drops_fired() - fetch_drops;
  world.wait_until_settled(15s);

  auto census = world.census();
  census.add("fetch_drops", fetch_drops);
  census.add("stranded_after_fetch_drops", stranded_after_fetch_drops);
  census.add("ack_drops", ack_drops);
  // An ack written twice shows in the row: a second errors entry, max_attempts raised twice.
  const long duplicate_error_entries = world.count("args->>'mode' = 'error_once' AND cardinality(errors) > 1");
  const long snooze_counted_twice = world.count("max_attempts > " + std::to_string(kMaxAttempts + 1));
  census.add("duplicate_error_entries", duplicate_error_entries);
  census.add("snooze_counted_twice", snooze_counted_twice);
  proxy.drop_all();  // nothing of the node may hang on the proxy while it stops
  node.stop();
  world.report_and_check(census);
  CHECK(fetch_drops == 2);
  CHECK(ack_drops == 3);
  CHECK(stranded_after_fetch_drops == 0);
  CHECK(duplicate_error_entries == 0);
  CHECK(snooze_counted_twice == 0);
}
