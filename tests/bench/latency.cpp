// Insert-to-start latency, one job at a time: from calling Inserter::insert (a client's
// own pool) until perform begins on a running node, with notifications and poll-only;
// graphile-worker's add_job-to-start the same way (same count, same pacing), alternating.
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "bench_context.hpp"
#include "bench_db.hpp"
#include "graphile_peer.hpp"
#include "noop_worker.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/notify/notifier.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"
#include "stats.hpp"

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Samples {
  std::vector<double> insert_to_start;  // ms, from the insert call
  std::vector<double> insert_call;      // ms the insert call itself took (commit + NOTIFY)
  std::vector<double> commit;           // ms of one durable commit just before each insert
};

// A one-row table whose autocommit UPDATE is one durable commit (its WAL flush): timed right
// before each insert, it tells what a commit costs at that moment. Insert-to-start holds two
// (the insert's and the fetch's), so this is what bounds it from below.
class CommitProbe {
 public:
  CommitProbe(const std::string& dsn, const std::string& prefix)
      : conn_(oban::db::connect(dsn)), table_(oban::db::qualified(prefix, "commit_probe")) {
    pqxx::nontransaction tx{*conn_};
    tx.exec("CREATE TABLE " + table_ + " (id int PRIMARY KEY, n bigint NOT NULL)");
    tx.exec("INSERT INTO " + table_ + " VALUES (1, 0)");
  }
  double commit_ms() {
    const auto before = Clock::now();
    pqxx::nontransaction tx{*conn_};
    tx.exec("UPDATE " + table_ + " SET n = n + 1 WHERE id = 1");
    return ms(Clock::now() - before);
  }

 private:
  std::unique_ptr<pqxx::connection> conn_;
  std::string table_;
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
    while (!oban::internals(node).notifier()->connected() && seconds_since(start) < 10) {
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
  }
  oban::db::ConnectionPool client_pool{context.dsn, 1};
  oban::Inserter inserter{client_pool, prefix};
  CommitProbe probe{context.dsn, prefix};
  std::mt19937 random{42};
  std::uniform_int_distribution<int> phase_ms{0, static_cast<int>(config.poll_interval.count()) - 1};

  Samples out;
  const int warmup = notifications ? 20 : 1;
  for (int i = 0; i < warmup + samples; ++i) {
    // Poll-only: insert at a random point of the poll cycle, not right after a poll.
    if (!notifications) std::this_thread::sleep_for(std::chrono::milliseconds{phase_ms(random)});
    const double commit = notifications ? probe.commit_ms() : 0;
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
    out.commit.push_back(commit);
  }
  node.stop();
  return out;
}

}  // namespace

void run_latency(Context& context) {
  const auto& o = context.options;
  auto& r = context.results;
  const std::string section =
      "latency (insert-to-start, one job at a time; oban-cpp and graphile-worker alternate over rounds)";
  const GraphilePeer peer{o};
  const auto config = graphile_single_process();
  Series p50, p99, call, peer_p50, peer_p99, peer_call, commit;
  for (int round = 0; round < o.rounds; ++round) {
    auto ours = [&] {
      const auto notify = measure(context, true, o.latency_notify_samples);
      if (notify.insert_to_start.empty()) return;
      p50.add(percentile(notify.insert_to_start, 0.5));
      p99.add(percentile(notify.insert_to_start, 0.99));
      call.add(percentile(notify.insert_call, 0.5));
      commit.add(percentile(notify.commit, 0.5));
    };
    auto theirs = [&] {
      if (!peer.available()) return;
      const auto result = peer.latency(context, config, o.latency_notify_samples);
      peer_p50.add(result.p50_ms);
      peer_p99.add(result.p99_ms);
      peer_call.add(result.insert_call_p50_ms);
    };
    if (round % 2 == 0) {
      ours();
      theirs();
    } else {
      theirs();
      ours();
    }
  }
  const std::string samples = std::to_string(o.latency_notify_samples) + " samples";
  auto over = [&](const Series& s) {
    return s.size() == 1 ? std::string("one round") : "median of " + std::to_string(s.size()) + " rounds";
  };
  if (!p50.empty()) {
    std::string note = "oban-cpp, notifications, limit 10, " + samples + " per round; p50, " + over(p50);
    if (!peer_p50.empty()) note += "; " + fixed(p50.median() / peer_p50.median(), 2) + "x graphile's";
    r.add({section, "latency_notify_p50_ms", p50.median(), "ms", note + " (issue 12 target < 2 ms and below graphile's)"});
    r.add({section, "latency_notify_p99_ms", p99.median(), "ms", "oban-cpp, notifications; p99, " + over(p99)});
    r.add({section, "latency_insert_call_p50_ms", call.median(), "ms",
           "of which the insert call (one autocommit INSERT with its NOTIFY, a commit with fsync)"});
  }
  if (!commit.empty()) {
    r.add({section, "latency_commit_p50_ms", commit.median(), "ms",
           "one durable commit (an autocommit 1-row UPDATE) timed before each insert, p50, " + over(commit) +
               ": insert-to-start holds two, the insert's and the fetch's"});
  }
  const std::string peer_what = "graphile-worker " + config.label + ", add_job on its own connection";
  if (!peer.available()) {
    r.add({section, "peer_graphile_latency_p50_ms", NAN, "ms", peer_what + "; skipped: " + peer.skip_reason()});
  } else if (!peer_p50.empty()) {
    r.add({section, "peer_graphile_latency_p50_ms", peer_p50.median(), "ms",
           peer_what + ", " + samples + " per round; p50, " + over(peer_p50)});
    r.add({section, "peer_graphile_latency_p99_ms", peer_p99.median(), "ms", "graphile-worker; p99, " + over(peer_p99)});
    r.add({section, "peer_graphile_latency_insert_call_p50_ms", peer_call.median(), "ms",
           "of which the add_job call (commit with fsync + NOTIFY)"});
  }
  const auto poll = measure(context, false, o.latency_poll_samples);
  if (!poll.insert_to_start.empty()) {
    r.add({section, "latency_poll_p50_ms", percentile(poll.insert_to_start, 0.5), "ms",
           "oban-cpp poll only, poll_interval 1 s, inserts at random phases, one round"});
    r.add({section, "latency_poll_p99_ms", percentile(poll.insert_to_start, 0.99), "ms", "poll only"});
  }
}

}  // namespace bench
