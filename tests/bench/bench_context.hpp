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

// What one drain of pre-inserted jobs measured (raw SQL, oban-cpp or graphile-worker);
// -1 where not measured or not applicable.
struct Drained {
  double jobs_per_s = -1;
  double wal_bytes_per_job = -1;  // WAL written from the clock's start to its end, per job
  double jobs_per_fetch = -1;     // oban-cpp: mean jobs a fetch returned
  double fetch_interval_ms = -1;  // oban-cpp: mean time between one producer's fetches
  double fetches_overlapped = -1; // oban-cpp: share of fetches sent while another was in flight
  double server_cpu_us_per_job = -1;  // CPU the server's processes used during the drain, per job
  double client_cpu_us_per_job = -1;  // CPU of the client (oban-bench's node, or pgbench) per job
  double rss_max_mb = -1;         // graphile-worker: the largest worker process's VmHWM
  double rss_total_mb = -1;       // graphile-worker: all its worker processes together
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
