#include "drain.hpp"

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "bench_db.hpp"
#include "cpu_time.hpp"
#include "noop_worker.hpp"
#include "oban/db/connection.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"

namespace bench {

Drained drain(Context& context, const DrainShape& shape, int jobs) {
  Drained out;
  const auto prefix = fresh_schema(context.dsn, "drain");
  auto conn = oban::db::connect(context.dsn);
  std::vector<std::string> queues;
  for (int q = 0; q < shape.queues; ++q) {
    queues.push_back("bench" + std::to_string(q));
    insert_jobs(*conn, prefix, queues.back(), jobs / shape.queues + (q < jobs % shape.queues ? 1 : 0));
  }
  settle_before_drain(*conn, prefix);
  auto worker = std::make_shared<NoopWorker>(min_job_id(*conn, prefix), jobs);
  oban::WorkerRegistry registry;
  registry.add(worker);
  std::vector<std::unique_ptr<oban::Node>> running;
  for (int i = 0; i < shape.nodes; ++i) {
    auto config = bench_node_config(context.dsn, prefix, queues.front(), shape.limit, "bench-drain-" + std::to_string(i));
    for (const auto& queue : queues) config.queues[queue] = shape.limit;
    running.push_back(std::make_unique<oban::Node>(config, registry));
  }
  const auto wal_start = wal_position(*conn);
  const double server_cpu_start = server_cpu_seconds(*conn);
  const double client_cpu_start = client_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  for (auto& node : running) node->start();
  // Poll the table only once every job ran: a count over the whole table is not free.
  const double timeout_s = 60.0 + jobs / 500.0;
  bool done = false;
  while (!done && seconds_since(start) < timeout_s) {
    if (worker->runs() < jobs) {
      std::this_thread::sleep_for(std::chrono::milliseconds{2});
      continue;
    }
    done = count_jobs(*conn, prefix, "state = 'completed'") >= jobs;
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds{2});
  }
  const double elapsed = seconds_since(start);
  const double client_cpu = client_cpu_seconds() - client_cpu_start;
  const double server_cpu = server_cpu_seconds(*conn) - server_cpu_start;
  const double wal_bytes = wal_bytes_since(*conn, wal_start);
  std::uint64_t fetches = 0, overlapped = 0;
  for (auto& node : running) {
    for (const auto& queue : queues) {
      auto* producer = oban::internals(*node).producer(queue);
      fetches += producer->fetches();
      overlapped += producer->overlapped_fetches();
    }
  }
  for (auto& node : running) node->stop();
  const auto completed = count_jobs(*conn, prefix, "state = 'completed' AND attempt = 1");
  if (!done || completed != jobs || worker->double_runs() != 0 || worker->runs() != jobs) {
    context.results.fail(shape.label + ": " + std::to_string(completed) + " of " + std::to_string(jobs) +
                         " completed once, " + std::to_string(worker->runs()) + " runs, " +
                         std::to_string(worker->double_runs()) + " double runs");
    return out;
  }
  const double producers = static_cast<double>(queues.size() * running.size());
  out.jobs_per_s = jobs / elapsed;
  out.wal_bytes_per_job = wal_bytes / jobs;
  if (server_cpu_start >= 0) out.server_cpu_us_per_job = 1e6 * server_cpu / jobs;
  out.client_cpu_us_per_job = 1e6 * client_cpu / jobs;
  // Empty fetches (the last ones, polls) count too: they are round trips all the same.
  out.jobs_per_fetch = fetches > 0 ? jobs / static_cast<double>(fetches) : -1;
  out.fetch_interval_ms = fetches > 0 ? 1000 * elapsed * producers / static_cast<double>(fetches) : -1;
  out.fetches_overlapped = fetches > 0 ? overlapped / static_cast<double>(fetches) : -1;
  return out;
}

}  // namespace bench
