// Growth: the cost of Oban's fetch (50 jobs per fetch, as a node at limit 50 asks) in a
// table holding only the available jobs, against one that also holds N completed rows
// (vacuumed and analyzed, as autovacuum would leave it).
#include <algorithm>

#include "bench_context.hpp"
#include "bench_db.hpp"
#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/job_store.hpp"

namespace bench {
namespace {

// Median ms per fetch of 50 until the queue is empty; -1 when jobs went missing.
double fetch_cost(Context& context, int completed_rows) {
  const int jobs = context.options.growth_fetch_jobs;
  const auto prefix = fresh_schema(context.dsn, completed_rows == 0 ? "growth_empty" : "growth_full");
  auto conn = oban::db::connect(context.dsn);
  for (int done = 0; done < completed_rows; done += 250000) {
    insert_jobs(*conn, prefix, "growth", std::min(250000, completed_rows - done), "completed");
  }
  insert_jobs(*conn, prefix, "growth", jobs);
  {
    pqxx::nontransaction tx{*conn};
    tx.exec("VACUUM ANALYZE " + oban::db::qualified(prefix, "oban_jobs"));
    tx.exec("CHECKPOINT");
  }
  oban::db::JobStore store{prefix};
  oban::db::FetchRequest request;
  request.queue = "growth";
  request.demand = 50;
  request.node = "bench-growth";
  request.producer_uuid = "00000000-0000-4000-8000-000000000000";
  std::vector<double> costs;
  int fetched = 0;
  for (;;) {
    request.now = oban::SystemClock::instance().now();
    const auto start = std::chrono::steady_clock::now();
    const auto batch = store.fetch_jobs(*conn, request);
    const double ms = seconds_since(start) * 1000;
    if (batch.empty()) break;
    fetched += static_cast<int>(batch.size());
    costs.push_back(ms);
  }
  if (fetched != jobs || costs.size() < 2) {
    context.results.fail("growth: fetched " + std::to_string(fetched) + " of " + std::to_string(jobs));
    return -1;
  }
  costs.erase(costs.begin());  // the first one prepares the statement
  std::nth_element(costs.begin(), costs.begin() + static_cast<long>(costs.size() / 2), costs.end());
  return costs[costs.size() / 2];
}

}  // namespace

void run_growth(Context& context) {
  auto& r = context.results;
  const int rows = context.options.growth_rows;
  const std::string section = "growth (fetch of 50, median)";
  const double empty = fetch_cost(context, 0);
  const double full = fetch_cost(context, rows);
  if (empty <= 0 || full <= 0) return;
  r.add({section, "fetch_ms_empty", empty, "ms", "only the available jobs in the table"});
  r.add({section, "fetch_ms_with_completed", full, "ms", "plus " + std::to_string(rows) + " completed rows"});
  const double ratio = full / empty;
  r.add({section, "fetch_cost_ratio_1m_vs_empty", ratio, "x",
         std::to_string(rows) + " completed rows vs none; target <= 1.20: " + (ratio <= 1.2 ? "met" : "MISSED")});
}

}  // namespace bench
