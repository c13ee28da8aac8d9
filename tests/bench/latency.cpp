// Insert-to-start latency, one job at a time: from calling Inserter::insert (a client's
// own pool) until perform begins on a running node, with notifications and poll-only.
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "bench_context.hpp"
#include "bench_db.hpp"
#include "noop_worker.hpp"
#include "oban/db/connection.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/notify/notifier.hpp"
#include "oban/runtime/node.hpp"

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Samples {
  std::vector<double> insert_to_start;  // ms, from the insert call
  std::vector<double> insert_call;      // ms the insert call itself took (commit + NOTIFY)
};

Samples measure(Context& context, bool notifications, int samples) {
  const auto prefix = fresh_schema(context.dsn, notifications ? "latency_notify" : "latency_poll");
  auto worker = std::make_shared<NoopWorker>();
  std::mutex mutex;
  std::condition_variable started_cv;
  std::int64_t started_id = 0;
  Clock::time_point started_at{};
  worker->on_start([&](const oban::Job& job, Clock::time_point at) {
    std::lock_guard lock{mutex};
    started_id = job.id;
    started_at = at;
    started_cv.notify_all();
  });
  oban::WorkerRegistry registry;
  registry.add(worker);
  auto config = bench_node_config(context.dsn, prefix, "latency", 10, "bench-latency");
  config.notifications = notifications;
  oban::Node node{config, registry};
  node.start();
  if (notifications) {
    const auto start = Clock::now();
    while (!node.notifier()->connected() && seconds_since(start) < 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
  }
  oban::db::ConnectionPool client_pool{context.dsn, 1};
  oban::Inserter inserter{client_pool, prefix};
  std::mt19937 random{42};
  std::uniform_int_distribution<int> phase_ms{0, static_cast<int>(config.poll_interval.count()) - 1};

  Samples out;
  const int warmup = notifications ? 20 : 1;
  for (int i = 0; i < warmup + samples; ++i) {
    // Poll-only: insert at a random point of the poll cycle, not right after a poll.
    if (!notifications) std::this_thread::sleep_for(std::chrono::milliseconds{phase_ms(random)});
    oban::NewJob job;
    job.worker = kNoopWorker;
    job.queue = "latency";
    job.args = "{\"i\":" + std::to_string(i) + "}";
    const auto before = Clock::now();
    const auto id = inserter.insert(job).job.id;
    const auto after = Clock::now();
    std::unique_lock lock{mutex};
    const bool started = started_cv.wait_for(lock, config.poll_interval + std::chrono::seconds{5},
                                             [&] { return started_id == id; });
    if (!started) {
      context.results.fail(std::string("latency ") + (notifications ? "notify" : "poll") + ": job " +
                           std::to_string(id) + " did not start");
      break;
    }
    if (i < warmup) continue;
    out.insert_to_start.push_back(ms(started_at - before));
    out.insert_call.push_back(ms(after - before));
  }
  node.stop();
  return out;
}

}  // namespace

void run_latency(Context& context) {
  auto& r = context.results;
  const std::string section = "latency (insert-to-start, one job at a time)";
  const auto notify = measure(context, true, context.options.latency_notify_samples);
  if (!notify.insert_to_start.empty()) {
    const double p50 = percentile(notify.insert_to_start, 0.5);
    r.add({section, "latency_notify_p50_ms", p50, "ms",
           std::string("notifications; target < 2 ms: ") + (p50 < 2 ? "met" : "MISSED")});
    r.add({section, "latency_notify_p99_ms", percentile(notify.insert_to_start, 0.99), "ms", "notifications"});
    r.add({section, "latency_insert_call_p50_ms", percentile(notify.insert_call, 0.5), "ms",
           "of which the insert call (INSERT + commit with fsync + NOTIFY)"});
  }
  const auto poll = measure(context, false, context.options.latency_poll_samples);
  if (!poll.insert_to_start.empty()) {
    r.add({section, "latency_poll_p50_ms", percentile(poll.insert_to_start, 0.5), "ms",
           "poll only, poll_interval 1 s, inserts at random phases"});
    r.add({section, "latency_poll_p99_ms", percentile(poll.insert_to_start, 0.99), "ms", "poll only"});
  }
}

}  // namespace bench
