#include "oban/queue/producer.hpp"

#include <algorithm>
#include <random>

#include "oban/core/telemetry.hpp"
#include "oban/queue/job_telemetry.hpp"

namespace oban::queue {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Oban's dispatch cooldown: wakeups within this window share one fetch.
constexpr std::chrono::milliseconds kDispatchCooldown{5};
constexpr std::chrono::milliseconds kFirstFetchRetry{100};
constexpr std::chrono::milliseconds kMaxFetchRetry{5000};

}  // namespace

std::string random_uuid() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<std::uint64_t> bits;
  std::uint64_t high = bits(random);
  std::uint64_t low = bits(random);
  high = (high & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;    // variant 10
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xFFFF), static_cast<unsigned>(high & 0xFFFF),
                static_cast<unsigned>(low >> 48), static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  return text;
}

// One job fetched by this producer. Whoever sets `claimed` first (the finished task, the
// timeout, a pkill, or shutdown abandoning it) decides its only ack.
struct Producer::Run {
  Job job;
  std::shared_ptr<Worker> worker;
  std::stop_source stop;
  std::optional<SteadyClock::time_point> deadline;  // when a worker timeout applies
  std::int64_t timeout_ms = 0;
  std::chrono::steady_clock::time_point started = SteadyClock::now();
  std::mutex mutex;        // guards claimed, owner
  bool claimed = false;
  Producer* owner = nullptr;
};

Producer::Producer(ProducerConfig config, db::ConnectionPool& pool, const db::JobStore& store,
                   const Executor& executor, const WorkerRegistry& registry, Completer& completer,
                   ThreadPool& threads, const Clock& clock)
    : config_(std::move(config)),
      pool_(pool),
      store_(store),
      executor_(executor),
      registry_(registry),
      completer_(completer),
      threads_(threads),
      clock_(clock),
      limit_(config_.limit),
      paused_(config_.paused) {
  if (config_.uuid.empty()) config_.uuid = random_uuid();
  started_at_ = updated_at_ = clock_.now();
}

Producer::~Producer() { stop(std::chrono::milliseconds{0}); }

void Producer::start() {
  if (thread_.joinable()) return;
  looping_ = true;  // before the thread runs, so a health check right after start() sees it
  thread_ = std::thread([this] { loop(); });
}

void Producer::wake() {
  {
    std::lock_guard lock{mutex_};
    wake_ = true;
  }
  cv_.notify_all();
}

void Producer::pause() {
  {
    std::lock_guard lock{mutex_};
    paused_ = true;
    updated_at_ = clock_.now();
  }
  telemetry::emit("queue:pause", telemetry::Level::info, {{"queue", config_.queue}, {"node", config_.node}});
}

void Producer::resume() {
  {
    std::lock_guard lock{mutex_};
    paused_ = false;
    wake_ = true;
    updated_at_ = clock_.now();
  }
  cv_.notify_all();
  telemetry::emit("queue:resume", telemetry::Level::info, {{"queue", config_.queue}, {"node", config_.node}});
}

void Producer::scale(int limit, bool local_only) {
  if (limit <= 0) return;
  {
    std::lock_guard lock{mutex_};
    limit_ = limit;
    local_only_ = local_only_ || local_only;
    wake_ = true;
    updated_at_ = clock_.now();
  }
  cv_.notify_all();
  telemetry::emit("queue:scale", telemetry::Level::info,
                  {{"queue", config_.queue}, {"node", config_.node}, {"limit", limit}});
}

bool Producer::pkill(std::int64_t job_id) {
  std::lock_guard lock{mutex_};
  auto found = running_.find(job_id);
  if (found == running_.end()) return false;
  auto& run = found->second;
  std::lock_guard run_lock{run->mutex};
  if (run->claimed) return true;  // already finishing
  run->claimed = true;
  run->stop.request_stop();
  telemetry::emit("queue:pkill", telemetry::Level::info,
                  {{"queue", config_.queue}, {"node", config_.node}, {"job_id", job_id}});
  finish(run, shutdown_execution(run->job));
  return true;
}

int Producer::limit() const {
  std::lock_guard lock{mutex_};
  return limit_;
}

bool Producer::paused() const {
  std::lock_guard lock{mutex_};
  return paused_;
}

int Producer::running() const {
  std::lock_guard lock{mutex_};
  return static_cast<int>(running_.size());
}

std::uint64_t Producer::fetches() const {
  std::lock_guard lock{mutex_};
  return fetches_;
}

bool Producer::fetching() const {
  std::lock_guard lock{mutex_};
  return fetching_;
}

ProducerCheck Producer::check() const {
  std::lock_guard lock{mutex_};
  ProducerCheck check;
  check.queue = config_.queue;
  check.node = config_.node;
  check.uuid = config_.uuid;
  check.limit = limit_;
  check.paused = paused_;
  for (const auto& [id, run] : running_) {
    if (performed_.count(id) == 0) check.running.push_back(id);
  }
  check.started_at = started_at_;
  check.updated_at = updated_at_;
  check.shutdown_started_at = shutdown_started_at_;
  check.local_only = local_only_;
  return check;
}

core::LoopHealth Producer::health() const {
  return {"producer:" + config_.queue, looping_.load(), in_step_.load(), last_beat_.load()};
}

void Producer::loop() {
  std::unique_lock lock{mutex_};
  auto next_poll = SteadyClock::now();
  auto next_fetch_allowed = SteadyClock::now();
  while (!stopping_) {
    auto now = SteadyClock::now();
    last_beat_ = now;
    expire_timeouts();
    const bool poll_due = now >= next_poll;
    if ((wake_ || poll_due) && now >= next_fetch_allowed) {
      wake_ = false;
      if (poll_due) next_poll = now + config_.poll_interval;
      if (!draining_ && !paused_ && static_cast<int>(running_.size() - performed_.size()) < limit_) {
        const auto fetch_started = now;
        fetch(lock);
        now = SteadyClock::now();
        if (failures_ > 0) {
          const auto delay = std::min(kFirstFetchRetry * (1 << std::min(failures_ - 1, 10)), kMaxFetchRetry);
          next_poll = std::min(next_poll, now + delay);
          next_fetch_allowed = now + delay;
        } else {
          // At most one fetch per cooldown: counted from the fetch's start, so a fetch that
          // itself took longer (a commit with fsync) is not followed by a further wait.
          next_fetch_allowed = fetch_started + kDispatchCooldown;
        }
      }
      continue;
    }
    auto until = next_poll;
    if (wake_) until = std::min(until, next_fetch_allowed);
    if (auto deadline = next_deadline()) until = std::min(until, *deadline);
    // A wake that arrives during the cooldown must shorten this wait to the cooldown's end,
    // not be left for the next poll: return and recompute `until` when it would be missed.
    cv_.wait_until(lock, until, [&] {
      return stopping_ || (wake_ && (SteadyClock::now() >= next_fetch_allowed || until > next_fetch_allowed));
    });
  }
  looping_ = false;
}

void Producer::fetch(std::unique_lock<std::mutex>& lock) {
  db::FetchRequest request;
  request.queue = config_.queue;
  request.demand = limit_ - static_cast<int>(running_.size() - performed_.size());
  request.node = config_.node;
  request.producer_uuid = config_.uuid;
  if (config_.only_registered_workers) request.workers = registry_.names();
  ++fetches_;
  fetching_ = true;
  lock.unlock();
  std::vector<Job> jobs;
  bool ok = true;
  in_step_ = true;
  last_beat_ = SteadyClock::now();
  telemetry::Span span{"engine:fetch_jobs", {{"queue", config_.queue}, {"node", config_.node}}};
  try {
    request.now = clock_.now();
    auto lease = pool_.acquire();
    jobs = store_.fetch_jobs(*lease, request);
    span.add("count", jobs.size());
    span.stop();
  } catch (const std::exception& e) {
    ok = false;
    span.stop_with_error("error", db::redact_dsn(e.what()), telemetry::Level::warning);
  }
  in_step_ = false;
  last_beat_ = SteadyClock::now();
  lock.lock();
  fetching_ = false;
  failures_ = ok ? 0 : failures_ + 1;
  for (auto& job : jobs) {
    auto run = std::make_shared<Run>();
    run->worker = executor_.resolve(job);
    if (run->worker) {
      const auto timeout = run->worker->timeout(job);
      if (timeout.count() > 0) {
        run->timeout_ms = timeout.count();
        run->deadline = SteadyClock::now() + timeout;
      }
    }
    run->job = std::move(job);
    run->owner = this;
    running_[run->job.id] = run;
    launch(run);
  }
}

void Producer::launch(const std::shared_ptr<Run>& run) {
  threads_.submit([run, node = config_.node] {
    emit_job_start(run->job, node);
    const Execution execution = Executor::run(run->job, run->worker, run->stop.get_token());
    {
      std::lock_guard run_lock{run->mutex};
      if (run->claimed) return;  // timed out, pkilled or abandoned at shutdown: that decided the ack
      run->claimed = true;
      run->owner->finish(run, execution);
    }
    // Outside run->mutex: the producer takes mutex_ before any run's mutex.
    run->owner->performed(run->job.id);
  });
}

// Called with run->mutex held and the run claimed by the caller.
void Producer::finish(const std::shared_ptr<Run>& run, const Execution& execution) {
  const auto ack = Executor::to_ack(run->job, execution, clock_.now());
  emit_job_end(run->job, config_.node, execution, ack.kind, SteadyClock::now() - run->started);
  const auto id = run->job.id;
  completer_.submit(ack, [this, id] { acked(id); });
}

// Called with mutex_ held.
void Producer::expire_timeouts() {
  const auto now = SteadyClock::now();
  for (auto& [id, run] : running_) {
    if (!run->deadline || *run->deadline > now) continue;
    std::lock_guard run_lock{run->mutex};
    if (run->claimed) continue;
    run->claimed = true;
    run->stop.request_stop();
    finish(run, timeout_execution(run->job, run->timeout_ms));
  }
}

// Called with mutex_ held.
std::optional<SteadyClock::time_point> Producer::next_deadline() const {
  std::optional<SteadyClock::time_point> earliest;
  for (const auto& [id, run] : running_) {
    if (run->deadline && (!earliest || *run->deadline < *earliest)) {
      std::lock_guard run_lock{run->mutex};
      if (!run->claimed) earliest = run->deadline;
    }
  }
  return earliest;
}

void Producer::performed(std::int64_t id) {
  {
    std::lock_guard lock{mutex_};
    // The ack may already be written (and the run erased) by the time we get here.
    if (running_.count(id) == 0) return;
    performed_.insert(id);
    wake_ = true;
  }
  cv_.notify_all();
}

void Producer::acked(std::int64_t id) {
  {
    std::lock_guard lock{mutex_};
    running_.erase(id);
    performed_.erase(id);
    wake_ = true;
  }
  cv_.notify_all();
}

void Producer::stop(std::chrono::milliseconds grace) noexcept {
  const auto began = SteadyClock::now();
  std::unique_lock lock{mutex_};
  if (stopping_) return;
  draining_ = true;
  paused_ = true;  // as Oban's shutdown: the check shows it paused, with shutdown_started_at
  shutdown_started_at_ = clock_.now();
  cv_.notify_all();
  cv_.wait_until(lock, SteadyClock::now() + grace, [&] { return running_.empty(); });
  Value::Array orphaned;
  for (auto& [id, run] : running_) {
    std::lock_guard run_lock{run->mutex};
    if (run->claimed) continue;  // its ack is with the completer
    run->claimed = true;          // left executing, as Oban leaves it; the Lifeline rescues it
    run->stop.request_stop();
    orphaned.push_back(id);
  }
  if (!orphaned.empty()) {
    telemetry::emit("queue:shutdown", telemetry::Level::warning,
                    {{"queue", config_.queue}, {"node", config_.node}, {"orphaned", std::move(orphaned)}},
                    {{"elapsed", std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - began).count()}},
                    "jobs were orphaned because they didn't finish executing in the allotted time");
  }
  stopping_ = true;
  lock.unlock();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace oban::queue
