#pragma once
// oban-bench's command line: sizes of every measurement, and --quick for a smoke run.
#include <string>
#include <vector>

namespace bench {

struct Options {
  bool quick = false;                 // tiny sizes (the CTest smoke run)
  int rounds = 3;                     // interleaved rounds of the throughput and latency comparisons
  int drain_jobs = 100000;            // jobs pre-inserted for each drain (oban-cpp, raw SQL, graphile-worker)
  int drain_limit10_jobs = 30000;     // the limit-10 drain (about 2,000 jobs/s: keeps it near 15 s)
  int pgbench_clients = 2;            // pgbench client connections
  int pgbench_single_jobs = 10000;    // jobs drained by the 1-per-statement baseline (commit-bound)
  int latency_notify_samples = 1000;  // one job at a time, notifications on (oban-cpp and graphile-worker)
  int latency_poll_samples = 40;      // one job at a time, poll only (1 s poll interval)
  int unique_single = 1000;           // unique inserts one at a time, per variant
  int unique_batch = 5000;            // unique inserts in batches, per variant
  int unique_batch_size = 100;        // jobs per insert_all
  int fanout_rows = 10000;            // stuck provider rows the coordinator fans out over
  int memory_jobs = 100000;           // jobs drained by the measured child process
  int growth_rows = 1000000;          // completed rows in the "full" table
  int growth_fetch_jobs = 5000;       // available jobs fetched (50 at a time) in each table
  bool peer = true;                   // measure graphile-worker (--no-peer turns it off)
  std::string graphile_dir;           // graphile-worker's install (default: the cache tests/bench/run fills)
  std::string out;                    // results JSON path
  std::vector<std::string> only;      // run only these sections (empty = all)
  std::vector<std::string> drains;    // throughput: run only the contenders whose key starts with one of these

  bool wants(const std::string& section) const;
  bool wants_drain(const std::string& key) const;  // true for every key when `drains` is empty
};

// Throws std::invalid_argument with the usage for a bad command line.
Options parse_options(int argc, char** argv);

// ${XDG_CACHE_HOME:-$HOME/.cache}/oban-cpp-bench/graphile-worker-0.17.3, where
// tests/bench/run installs the peer (outside the repo).
std::string default_graphile_dir();

}  // namespace bench
