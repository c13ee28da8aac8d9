// j. Slow acks (a trigger that sleeps 50 ms per acked row; issue 10, point 8): acks exert
// backpressure. Throughout the run the node's executing rows stay within 2 x limit (a
// job's slot stays taken until its ack is written, plus one ack batch in flight), and the
// completer's backlog stays within the same bound.
#include <catch2/catch.hpp>

#include <thread>

#include "engine_hooks.hpp"
#include "fault_world.hpp"
#include "running_node.hpp"

using namespace fault;

TEST_CASE("j. slow acks: executing rows and the ack backlog stay bounded", "[fault][backpressure]") {
  constexpr int kLimit = 5;
  constexpr long kBound = 2 * kLimit;
  FaultWorld world{"slow_acks"};
  // Only in this scenario's own schema: a BEFORE UPDATE trigger on the rows leaving executing.
  world.exec("CREATE FUNCTION fault.slow_ack() RETURNS trigger LANGUAGE plpgsql AS "
             "$$ BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$");
  world.exec("CREATE TRIGGER slow_ack BEFORE UPDATE ON fault.oban_jobs FOR EACH ROW "
             "WHEN (OLD.state = 'executing' AND NEW.state <> 'executing') EXECUTE FUNCTION fault.slow_ack()");
  RunningNode node{world, world.node_config(world.server().direct_dsn(), kLimit)};
  world.insert_jobs(120);
  long max_executing = 0;
  long max_backlog = -1;
  const bool settled = wait_for(
      [&] {
        const long executing = world.count("state = 'executing' AND attempted_by[1] = 'fault-slow_acks'");
        max_executing = std::max(max_executing, executing);
        if (auto backlog = hooks::completer_backlog(node.node())) max_backlog = std::max(max_backlog, *backlog);
        return world.count("state <> 'completed'") == 0;
      },
      40s, 50ms);
  auto census = world.census();
  census.add("settled", settled ? 1 : 0);
  census.add("limit", kLimit);
  census.add("executing_max", max_executing);
  census.add("executing_bound", kBound);
  census.add("backlog_max", max_backlog < 0 ? std::string{"n/a"} : std::to_string(max_backlog));
  node.stop();
  world.report_and_check(census);
  CHECK(max_executing <= kBound);
  if (max_backlog >= 0) CHECK(max_backlog <= kBound);
}
