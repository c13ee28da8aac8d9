#pragma once
// Throughput of oban-cpp: N no-op jobs inserted beforehand, drained by `nodes` nodes in
// this process, each running `queues` queues at `limit`. The clock runs from start() until
// every job is completed in the table (acks included).
#include <string>

#include "bench_context.hpp"

namespace bench {

struct DrainShape {
  std::string label;  // for failures, e.g. "drain limit 500"
  int queues = 1;     // the jobs are spread evenly over queues bench0, bench1...
  int limit = 50;     // per queue
  int nodes = 1;
};

// Jobs/s is negative after calling results.fail().
Drained drain(Context& context, const DrainShape& shape, int jobs);

}  // namespace bench
