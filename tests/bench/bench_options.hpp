#pragma once
// oban-bench's command line: sizes of every measurement, and --quick for a smoke run.
#include <string>
#include <vector>

namespace bench {

struct Options {
  bool quick = false;                 // tiny sizes (the CTest smoke run)
  int drain_jobs = 100000;            // jobs pre-inserted for each drain
  int pgbench_seconds = 10;           // duration of each pgbench run
  int pgbench_clients = 2;            // pgbench client connections
  int pgbench_single_jobs = 30000;    // jobs pre-inserted for the 1-per-fetch baseline
  int pgbench_batched_jobs = 600000;  // jobs pre-inserted for the 50-per-fetch baseline (>20k/s on a quiet machine)
  int latency_notify_samples = 1000;  // one job at a time, notifications on
  int latency_poll_samples = 40;      // one job at a time, poll only (1 s poll interval)
  int unique_single = 1000;           // unique inserts one at a time, per variant
  int unique_batch = 5000;            // unique inserts in batches, per variant
  int unique_batch_size = 100;        // jobs per insert_all
  int fanout_rows = 10000;            // stuck provider rows the coordinator fans out over
  int memory_jobs = 100000;           // jobs drained by the measured child process
  int growth_rows = 1000000;          // completed rows in the "full" table
  int growth_fetch_jobs = 5000;       // available jobs fetched (50 at a time) in each table
  std::string out;                    // results JSON path
  std::vector<std::string> only;      // run only these sections (empty = all)

  bool wants(const std::string& section) const;
};

// Throws std::invalid_argument with the usage for a bad command line.
Options parse_options(int argc, char** argv);

}  // namespace bench
