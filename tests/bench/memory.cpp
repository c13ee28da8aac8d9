// Peak RSS of a node, measured in a child process (fork + exec of this binary), so the
// benchmark's own data does not count: idle with its queue running, then while draining
// N no-op jobs at limit 50, and again at limit 500. The parent reads /proc/<pid>/status
// (VmRSS, VmHWM).
#include <csignal>
#include <fstream>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include "bench_context.hpp"
#include "bench_db.hpp"
#include "noop_worker.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/job_row.hpp"
#include "oban/db/notification.hpp"
#include "oban/runtime/default_logger.hpp"
#include "oban/runtime/node.hpp"

namespace bench {
namespace {

// "VmRSS:     1234 kB" -> MB; -1 when the process is gone.
double status_mb(pid_t pid, const std::string& field) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  }
  return -1;
}

bool alive(pid_t pid) { return waitpid(pid, nullptr, WNOHANG) == 0; }

}  // namespace

int child_drain_main(int argc, char** argv) {
  if (argc != 6) return 2;
  // Block SIGTERM before any thread starts, so only sigwait receives it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Warnings and errors of the nodes it runs, on stderr (the figures go to stdout).
  const oban::DefaultLogger logger{{.level = oban::telemetry::Level::warning}};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<NoopWorker>());
  oban::Node node{bench_node_config(argv[2], argv[3], argv[4], std::stoi(argv[5]), "bench-memory"), registry};
  node.start();
  int received = 0;
  sigwait(&signals, &received);
  node.stop();
  return 0;
}

namespace {

struct ChildMemory {
  bool ok = false;
  double idle = -1;       // VmRSS with its queue running and empty
  double idle_peak = -1;  // VmHWM at that point
  double peak = -1;       // VmHWM after the drain
  double max_rss = -1;    // the largest VmRSS sampled during the drain
};

ChildMemory measure_child(Context& context, int limit) {
  ChildMemory out;
  auto& r = context.results;
  const int jobs = context.options.memory_jobs;
  const auto prefix = fresh_schema(context.dsn, "memory");
  auto conn = oban::db::connect(context.dsn);
  insert_jobs(*conn, prefix, "held", jobs);

  const pid_t pid = fork();
  if (pid < 0) {
    r.fail("memory: fork failed");
    return out;
  }
  if (pid == 0) {
    const std::string limit_text = std::to_string(limit);
    execl("/proc/self/exe", "oban-bench", "--child-drain", context.dsn.c_str(), prefix.c_str(), "bench",
          limit_text.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Idle: the node has connected, listens and polls an empty queue.
  std::this_thread::sleep_for(std::chrono::milliseconds{1500});
  out.idle = status_mb(pid, "VmRSS");
  out.idle_peak = status_mb(pid, "VmHWM");
  {
    pqxx::work tx{*conn};
    tx.exec("UPDATE " + oban::db::qualified(prefix, "oban_jobs") + " SET queue = 'bench' WHERE queue = 'held'");
    oban::db::notify(tx, prefix, "insert", {"{\"queue\":\"bench\"}"});
    tx.commit();
  }
  const auto start = std::chrono::steady_clock::now();
  bool done = false;
  out.max_rss = out.idle;
  int tick = 0;
  while (!done && alive(pid) && seconds_since(start) < 60.0 + jobs / 500.0) {
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
    out.max_rss = std::max(out.max_rss, status_mb(pid, "VmRSS"));
    if (++tick % 10 == 0) done = count_jobs(*conn, prefix, "state = 'completed'") == jobs;
  }
  out.peak = status_mb(pid, "VmHWM");
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!done || out.idle < 0 || out.peak < 0) {
    r.fail("memory at limit " + std::to_string(limit) + ": the child did not drain " + std::to_string(jobs) +
           " jobs (exit status " + std::to_string(status) + ")");
    return out;
  }
  out.ok = true;
  return out;
}

}  // namespace

void run_memory(Context& context) {
  auto& r = context.results;
  const auto jobs = std::to_string(context.options.memory_jobs);
  const std::string section = "memory (node in a child process)";
  // graphile-worker's figures come from the throughput section, when it ran.
  auto peer_note = [&](const std::string& key, const std::string& what) {
    const double v = r.value(key);
    return v > 0 ? "; " + what + " " + fixed(v, 0) + " MB" : std::string();
  };
  if (const auto m = measure_child(context, 50); m.ok) {
    r.add({section, "rss_idle_mb", m.idle, "MB",
           "VmRSS idle (VmHWM so far " + fixed(m.idle_peak, 1) + " MB); Elixir BEAM ~140 MB"});
    r.add({section, "rss_draining_mb", m.peak, "MB",
           "VmHWM after draining " + jobs + " jobs at limit 50 (max sampled VmRSS " + fixed(m.max_rss, 1) +
               "); Elixir 145 MB" + peer_note("peer_graphile_1x50_rss_mb", "graphile-worker 1 process x 50") +
               " (issue 12 target < 40 MB)"});
  }
  if (const auto m = measure_child(context, 500); m.ok) {
    r.add({section, "rss_draining_limit500_mb", m.peak, "MB",
           "VmHWM after draining " + jobs + " jobs at limit 500 (max sampled VmRSS " + fixed(m.max_rss, 1) + ")" +
               peer_note("peer_graphile_perf_preset_rss_mb", "graphile-worker perf preset, per process")});
  }
}

}  // namespace bench
