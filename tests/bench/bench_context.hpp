#pragma once
// What every measurement gets: the options, the private server and the results.
#include <string>

#include "bench_options.hpp"
#include "bench_results.hpp"

namespace bench {

struct Context {
  const Options& options;
  std::string dsn;         // the private server, database "postgres"
  std::string socket_dir;  // for pgbench -h
  Results& results;
};

// Each fills in its figures; a measurement that could not complete calls results.fail().
void run_throughput(Context& context);  // raw SQL, oban-cpp and graphile-worker drains, interleaved
void run_latency(Context& context);
void run_unique(Context& context);
void run_fanout(Context& context);
void run_memory(Context& context);
void run_growth(Context& context);

// The child side of run_memory: `oban-bench --child-drain DSN PREFIX QUEUE LIMIT` runs a
// node with the no-op worker until SIGTERM.
int child_drain_main(int argc, char** argv);

}  // namespace bench
