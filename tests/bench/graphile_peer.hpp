#pragma once
// graphile-worker 0.17.3, the peer oban-cpp is measured against on the same PostgreSQL:
// runs our Node.js driver (tests/bench/graphile/driver.mjs) with `node`, against the
// package tests/bench/run installs from the npm registry into a cache outside the repo.
#include <string>

#include "bench_context.hpp"

namespace bench {

// One graphile-worker configuration, in its own option names.
struct GraphileConfig {
  std::string label;     // e.g. "1 process x 50, local queue 500, batched completion"
  int processes = 1;     // worker processes started together
  int concurrency = 50;  // concurrentJobs per process
  int local_queue = 500; // localQueue.size
  int pool = 51;         // maxPoolSize per process
  int batch_delay = 0;   // completeJobBatchDelay and failJobBatchDelay, ms
};

// The two configurations the benchmark reports (see graphile_peer.cpp for the sources).
GraphileConfig graphile_single_process();
GraphileConfig graphile_perf_preset();

struct GraphileLatency {
  double p50_ms = -1;
  double p99_ms = -1;
  double insert_call_p50_ms = -1;
};

class GraphilePeer {
 public:
  // Finds node and the installed package; when either is missing, available() is false and
  // skip_reason() says why.
  explicit GraphilePeer(const Options& options);

  bool available() const { return skip_reason_.empty(); }
  const std::string& skip_reason() const { return skip_reason_; }

  // Each returns negative figures after calling results.fail().
  Drained drain(Context& context, const GraphileConfig& config, int jobs) const;
  GraphileLatency latency(Context& context, const GraphileConfig& config, int samples) const;

 private:
  std::string run_driver(Context& context, const std::string& mode, const GraphileConfig& config,
                         const std::string& extra, int timeout_s) const;
  std::string modules_dir_;
  std::string skip_reason_;
};

}  // namespace bench
