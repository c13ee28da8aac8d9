// f. A 30 s outage (the server stopped) with jobs in flight (issue 10, point 5): the node
// waits without spinning and everything completes after the restart. The CPU bound is a
// resource bound (a spinning thread burns ~30 s), not a speed assertion.
#include <sys/resource.h>

#include <catch2/catch.hpp>

#include <thread>

#include "fault_world.hpp"
#include "running_node.hpp"

using namespace fault;

namespace {

std::chrono::milliseconds process_cpu() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto micros = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000L + usage.ru_utime.tv_usec +
                      usage.ru_stime.tv_usec;
  return std::chrono::milliseconds{micros / 1000};
}

}  // namespace

TEST_CASE("f. a 30 s outage with jobs in flight: low CPU, everything completes", "[fault][outage]") {
  constexpr auto kOutage = 30s;
  constexpr std::chrono::milliseconds kCpuBound{1500};
  FaultWorld world{"outage_30s"};
  RunningNode node{world, world.node_config(world.server().direct_dsn(), 10)};
  world.insert_jobs(20, {.sleep_ms = 20, .db = true});  // the workers' pool fills
  REQUIRE(world.wait_until_settled(20s));
  world.insert_jobs(200, {.sleep_ms = 50});
  wait_for([&] { return world.count("state = 'completed'") >= 20 + 50; }, scaled(30s));

  world.server().postgres().stop_server(testkit::StopMode::fast);
  const auto cpu_before = process_cpu();
  std::this_thread::sleep_for(kOutage);
  const auto outage_cpu = process_cpu() - cpu_before;
  world.server().postgres().start_server();

  // After the outage: jobs that use the workers' pool, which holds only dead connections.
  world.insert_jobs(50, {.db = true});
  world.wait_until_settled(30s);
  auto census = world.census();
  census.add("outage_s", static_cast<long>(kOutage.count()));
  census.add("outage_cpu_ms", static_cast<long>(outage_cpu.count()));
  census.add("cpu_bound_ms", static_cast<long>(kCpuBound.count()));
  node.stop();
  world.report_and_check(census);
  CHECK(outage_cpu < kCpuBound);
}
