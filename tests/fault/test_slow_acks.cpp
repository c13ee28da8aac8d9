// j. Slow acks (a trigger that sleeps 20 ms per acked row; issue 10, point 8): acks exert
// backpressure. A producer holds at most max_held(limit) = limit + max(limit, 100) rows
// executing (performs running plus acks not yet written), so while acks crawl the rows
// pile up to that bound and no further; the completer's backlog stays within it too.
// Without the bound every inserted job would sit executing within a second.
#include <catch2/catch.hpp>

#include "fault_world.hpp"
#include "oban/queue/producer.hpp"
#include "running_node.hpp"

using namespace fault;

TEST_CASE("j. slow acks: executing rows and the ack backlog stay bounded", "[fault][backpressure]") {
  constexpr int kLimit = 5;
  constexpr int kJobs = 400;
  // The documented bound, written out here: read from the producer, a producer without the
  // bound would pass by reporting its own.
  constexpr long bound = kLimit + 100;
  static_assert(bound == kLimit + (kLimit > 100 ? kLimit : 100));
  CHECK(oban::queue::max_held(kLimit) == bound);
  FaultWorld world{"slow_acks"};
  // Only in this scenario's own schema: a BEFORE UPDATE trigger on the rows leaving executing.
  world.exec("CREATE FUNCTION fault.slow_ack() RETURNS trigger LANGUAGE plpgsql AS "
             "$$ BEGIN PERFORM pg_sleep(0.02); RETURN NEW; END $$");
  world.exec("CREATE TRIGGER slow_ack BEFORE UPDATE ON fault.oban_jobs FOR EACH ROW "
             "WHEN (OLD.state = 'executing' AND NEW.state <> 'executing') EXECUTE FUNCTION fault.slow_ack()");
  RunningNode node{world, world.node_config(world.server().direct_dsn(), kLimit)};
  world.insert_jobs(kJobs);
  long max_executing = 0;
  long max_backlog = 0;
  const bool settled = wait_for(
      [&] {
        const long executing = world.count("state = 'executing' AND attempted_by[1] = 'fault-slow_acks'");
        max_executing = std::max(max_executing, executing);
        max_backlog = std::max(max_backlog, static_cast<long>(node.internals().completer()->pending()));
        return world.count("state <> 'completed'") == 0;
      },
      scaled(60s), 50ms);
  auto census = world.census();
  census.add("settled", settled ? 1 : 0);
  census.add("limit", kLimit);
  census.add("executing_max", max_executing);
  census.add("backlog_max", max_backlog);
  census.add("bound", bound);
  node.stop();
  world.report_and_check(census);
  CHECK(max_executing <= bound);
  CHECK(max_backlog <= bound);
  // The acks were slow enough to matter: rows piled up well past the running performs.
  CHECK(max_executing > 2 * kLimit);
}
