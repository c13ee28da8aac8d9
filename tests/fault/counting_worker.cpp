#include "counting_worker.hpp"

#include <condition_variable>
#include <stdexcept>
#include <thread>

#include <pqxx/pqxx>

namespace fault {

oban::WorkerOptions CountingWorker::options() const {
  oban::WorkerOptions options;
  options.queue = kQueue;
  options.max_attempts = kMaxAttempts;
  return options;
}

std::int64_t CountingWorker::backoff(const oban::Job&) const { return 1; }

oban::JobResult CountingWorker::perform(oban::JobContext& context) {
  int run = 0;
  {
    std::lock_guard lock{mutex_};
    run = ++runs_[context.job.id];
  }
  running_.fetch_add(1);
  struct Done {
    std::atomic<int>& running;
    ~Done() { running.fetch_sub(1); }
  } done{running_};

  const auto mode = context.args.string("mode").value_or("ok");
  if (context.args.boolean("db").value_or(false)) {
    auto* pool = pool_.load();
    if (pool == nullptr) throw std::logic_error("CountingWorker: db run without a pool");
    auto lease = pool->acquire();
    pqxx::nontransaction tx{*lease};
    tx.exec("SELECT 1");
  }
  const auto sleep_ms = context.args.integer("sleep_ms").value_or(0);
  if (mode == "ignore_stop") {
    std::this_thread::sleep_for(std::chrono::milliseconds{sleep_ms});
  } else if (sleep_ms > 0) {
    std::mutex mutex;
    std::condition_variable_any cv;
    std::unique_lock lock{mutex};
    cv.wait_for(lock, context.stop, std::chrono::milliseconds{sleep_ms}, [] { return false; });
  }
  const bool first = run == 1;
  if (first && mode == "error_once") return oban::JobResult::error("scripted error on the first run");
  if (first && mode == "snooze_once") return oban::JobResult::snooze(1);
  if (first && mode == "bad_utf8_once") throw std::runtime_error("scripted bytes \xC3\x28 are not UTF-8");
  if (first && mode == "bad_utf8_reason_once") return oban::JobResult::error("scripted reason \xC3\x28 not UTF-8");
  if (first && mode == "nul_once") throw std::runtime_error(std::string{"scripted NUL "} + '\0' + " inside");
  return oban::JobResult::ok();
}

int CountingWorker::runs(std::int64_t id) const {
  std::lock_guard lock{mutex_};
  const auto found = runs_.find(id);
  return found == runs_.end() ? 0 : found->second;
}

std::map<std::int64_t, int> CountingWorker::all_runs() const {
  std::lock_guard lock{mutex_};
  return runs_;
}

int CountingWorker::total_runs() const {
  std::lock_guard lock{mutex_};
  int total = 0;
  for (const auto& [id, count] : runs_) total += count;
  return total;
}

Expected expected_for(const std::string& mode) {
  if (mode == "error_once" || mode == "bad_utf8_once" || mode == "bad_utf8_reason_once" || mode == "nul_once") {
    return {2, 1, 0};
  }
  if (mode == "snooze_once") return {2, 0, 1};
  // Given up by a shutdown's hard deadline (its row released), then run by the next node.
  if (mode == "ignore_stop") return {2, 0, 0};
  return {1, 0, 0};
}

}  // namespace fault
