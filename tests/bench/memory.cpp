// Peak RSS of a node, measured in a child process (fork + exec of this binary), so the
// benchmark's own data does not count: idle with its queue running, then while draining
// N no-op jobs. The parent reads /proc/<pid>/status (VmRSS, VmHWM).
#include <csignal>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_context.hpp"
#include "bench_db.hpp"
#include "noop_worker.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/job_row.hpp"
#include "oban/db/notification.hpp"
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
  spdlog::set_level(spdlog::level::warn);
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<NoopWorker>());
  oban::Node node{bench_node_config(argv[2], argv[3], argv[4], std::stoi(argv[5]), "bench-memory"), registry};
  node.start();
  int received = 0;
  sigwait(&signals, &received);
  node.stop();
  return 0;
}

void run_memory(Context& context) {
  auto& r = context.results;
  const int jobs = context.options.memory_jobs;
  const auto prefix = fresh_schema(context.dsn, "memory");
  auto conn = oban::db::connect(context.dsn);
  insert_jobs(*conn, prefix, "held", jobs);

  const pid_t pid = fork();
  if (pid < 0) {
    r.fail("memory: fork failed");
    return;
  }
  if (pid == 0) {
    const std::string limit = "50";
    execl("/proc/self/exe", "oban-bench", "--child-drain", context.dsn.c_str(), prefix.c_str(), "bench",
          limit.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Idle: the node has connected, listens and polls an empty queue.
  std::this_thread::sleep_for(std::chrono::milliseconds{1500});
  const double idle = status_mb(pid, "VmRSS");
  const double idle_peak = status_mb(pid, "VmHWM");
  {
    pqxx::work tx{*conn};
    tx.exec("UPDATE " + oban::db::qualified(prefix, "oban_jobs") + " SET queue = 'bench' WHERE queue = 'held'");
    oban::db::notify(tx, prefix, "insert", {"{\"queue\":\"bench\"}"});
    tx.commit();
  }
  const auto start = std::chrono::steady_clock::now();
  bool done = false;
  double max_rss = idle;
  int tick = 0;
  while (!done && alive(pid) && seconds_since(start) < 60.0 + jobs / 500.0) {
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
    max_rss = std::max(max_rss, status_mb(pid, "VmRSS"));
    if (++tick % 10 == 0) done = count_jobs(*conn, prefix, "state = 'completed'") == jobs;
  }
  const double peak = status_mb(pid, "VmHWM");
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!done || idle < 0 || peak < 0) {
    r.fail("memory: the child did not drain " + std::to_string(jobs) + " jobs (exit status " + std::to_string(status) +
           ")");
    return;
  }
  const std::string section = "memory (node in a child process)";
  r.add({section, "rss_idle_mb", idle, "MB",
         "VmRSS idle (VmHWM so far " + std::to_string(idle_peak).substr(0, 5) + " MB); Elixir BEAM ~140 MB"});
  r.add({section, "rss_draining_mb", peak, "MB",
         "VmHWM after draining " + std::to_string(jobs) + " jobs at limit 50 (max sampled VmRSS " +
             std::to_string(max_rss).substr(0, 5) + "); Elixir 145 MB; target < 40 MB: " +
             (peak < 40 ? "met" : "MISSED")});
}

}  // namespace bench
