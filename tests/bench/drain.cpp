// Throughput: N no-op jobs inserted beforehand, drained by one node at limits 10 and 50,
// and by two nodes at limit 50 each. The clock runs from start() until every job is
// completed in the table (acks included).
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "bench_context.hpp"
#include "bench_db.hpp"
#include "noop_worker.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/runtime/node.hpp"

namespace bench {
namespace {

// Jobs/s, or a negative number when the drain did not complete correctly.
double drain(Context& context, const std::string& label, int limit, int nodes) {
  const int jobs = context.options.drain_jobs;
  const auto prefix = fresh_schema(context.dsn, "drain");
  auto conn = oban::db::connect(context.dsn);
  insert_jobs(*conn, prefix, "bench", jobs);
  {
    pqxx::nontransaction tx{*conn};
    tx.exec("VACUUM ANALYZE " + oban::db::qualified(prefix, "oban_jobs"));
  }
  auto worker = std::make_shared<NoopWorker>(min_job_id(*conn, prefix), jobs);
  oban::WorkerRegistry registry;
  registry.add(worker);
  std::vector<std::unique_ptr<oban::Node>> running;
  for (int i = 0; i < nodes; ++i) {
    running.push_back(std::make_unique<oban::Node>(
        bench_node_config(context.dsn, prefix, "bench", limit, "bench-drain-" + std::to_string(i)), registry));
  }
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
  if (std::getenv("OBAN_BENCH_DEBUG")) {
    std::fprintf(stderr, "\n%s: %.3f s, fetches", label.c_str(), elapsed);
    for (auto& node : running) std::fprintf(stderr, " %llu", static_cast<unsigned long long>(node->producer("bench")->fetches()));
    std::fprintf(stderr, "\n");
  }
  for (auto& node : running) node->stop();
  const auto completed = count_jobs(*conn, prefix, "state = 'completed' AND attempt = 1");
  if (!done || completed != jobs || worker->double_runs() != 0 || worker->runs() != jobs) {
    context.results.fail(label + ": " + std::to_string(completed) + " of " + std::to_string(jobs) +
                         " completed once, " + std::to_string(worker->runs()) + " runs, " +
                         std::to_string(worker->double_runs()) + " double runs");
    return -1;
  }
  return jobs / elapsed;
}

}  // namespace

void run_drain(Context& context) {
  auto& r = context.results;
  const std::string section = "throughput (" + std::to_string(context.options.drain_jobs) + " no-op jobs)";
  const double batched = r.value("baseline_batched_jobs_per_s");
  auto ratio_note = [&](double v, const std::string& elixir) {
    std::string note = elixir;
    if (batched > 0) note += "; " + std::to_string(static_cast<int>(100 * v / batched + 0.5)) + "% of batched baseline";
    return note;
  };
  if (const double v = drain(context, "drain limit 10", 10, 1); v > 0) {
    r.add({section, "drain_limit10_jobs_per_s", v, "jobs/s", ratio_note(v, "Elixir 812 jobs/s")});
  }
  if (const double v = drain(context, "drain limit 50", 50, 1); v > 0) {
    r.add({section, "drain_limit50_jobs_per_s", v, "jobs/s",
           ratio_note(v, "Elixir 3054 jobs/s (x" + std::to_string(v / 3054).substr(0, 4) + ")")});
    if (batched > 0) {
      const double ratio = v / batched;
      r.add({section, "drain_ratio_to_batched_baseline", ratio, "x",
             std::string("target >= 0.70: ") + (ratio >= 0.70 ? "met" : "MISSED")});
    }
  }
  if (const double v = drain(context, "drain two nodes", 50, 2); v > 0) {
    r.add({section, "drain_two_nodes_jobs_per_s", v, "jobs/s", ratio_note(v, "two nodes at limit 50")});
  }
}

}  // namespace bench
