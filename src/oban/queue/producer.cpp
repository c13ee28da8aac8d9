#include "oban/queue/producer.hpp"

#include <algorithm>
#include <random>

#include "oban/core/telemetry.hpp"
#include "oban/queue/job_telemetry.hpp"
#include "oban/queue/job_transaction.hpp"

namespace oban::queue {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstFetchRetry{100};
constexpr milliseconds kMaxFetchRetry{5000};

SteadyClock::duration fetch_backoff(int failures) {
  return std::min<SteadyClock::duration>(kFirstFetchRetry * (1 << std::min(failures - 1, 10)), kMaxFetchRetry);
}

}  // namespace

int max_held(int limit) { return limit + std::max(limit, kAckHeadroom); }

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

Producer::Producer(ProducerConfig config, std::shared_ptr<db::ConnectionPool> pool,
                   std::shared_ptr<const db::JobStore> store, const Executor& executor, const WorkerRegistry& registry,
                   Completer& completer, ThreadPool& threads, const Clock& clock)
    : config_(std::move(config)),
      pool_(std::move(pool)),
      store_(std::move(store)),
      executor_(executor),
      registry_(registry),
      completer_(completer),
      threads_(threads),
      clock_(clock),
      limit_(config_.limit),
      paused_(config_.paused) {
  if (config_.uuid.empty()) config_.uuid = random_uuid();
  started_at_ = updated_at_ = clock_.now();
  // "producer:<queue>" and "producer:<queue>:2": each lane's own name in the liveness check.
  for (std::size_t lane = 0; lane < kLanes; ++lane) {
    const std::string name = "producer:" + config_.queue + (lane == 0 ? "" : ":" + std::to_string(lane + 1));
    lanes_[lane] = std::make_unique<core::TimerLoop>(name, [this, lane] { return step(lane); });
  }
}

Producer::~Producer() { stop(milliseconds{0}); }

void Producer::start() {
  for (auto& lane : lanes_) lane->start();
}

void Producer::wake() {
  std::unique_lock lock{mutex_};
  wanted_ = true;
  woken_ = true;
  wake_lane(lock);
}

void Producer::wake_lane(std::unique_lock<std::mutex>& lock) {
  // Only when a fetch could start now: anything else that would make one due (a slot
  // freed, a fetch ended, the cooldown or backoff passed) wakes or times a lane itself.
  core::TimerLoop* idle = nullptr;
  if (fetch_demand(SteadyClock::now()) > 0) {
    for (std::size_t lane = 0; lane < kLanes && !idle; ++lane) {
      if (!lane_busy_[lane]) idle = lanes_[lane].get();
    }
  }
  lock.unlock();
  if (idle) idle->wake();
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
    std::unique_lock lock{mutex_};
    paused_ = false;
    wanted_ = true;
    woken_ = true;
    updated_at_ = clock_.now();
    wake_lane(lock);
  }
  telemetry::emit("queue:resume", telemetry::Level::info, {{"queue", config_.queue}, {"node", config_.node}});
}

void Producer::scale(int limit, bool local_only) {
  if (limit <= 0) return;
  {
    std::unique_lock lock{mutex_};
    limit_ = limit;
    local_only_ = local_only_ || local_only;
    wanted_ = true;
    woken_ = true;
    updated_at_ = clock_.now();
    wake_lane(lock);
  }
  telemetry::emit("queue:scale", telemetry::Level::info,
                  {{"queue", config_.queue}, {"node", config_.node}, {"limit", limit}});
}

bool Producer::pkill(std::int64_t job_id) {
  std::shared_ptr<JobRun> run;
  {
    std::lock_guard lock{mutex_};
    auto found = slots_.find(job_id);
    if (found == slots_.end() || found->second.returned) return false;
    run = found->second.run;
  }
  std::lock_guard run_lock{run->mutex};
  if (run->decided != JobRun::Decider::none || run->abandoned) return true;  // already ending
  run->decided = JobRun::Decider::pkill;
  run->stop.request_stop();
  telemetry::emit("queue:pkill", telemetry::Level::info,
                  {{"queue", config_.queue}, {"node", config_.node}, {"job_id", job_id}});
  submit(run, shutdown_execution(run->job));
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
  return static_cast<int>(slots_.size());
}

int Producer::performing() const {
  std::lock_guard lock{mutex_};
  return performing_;
}

std::uint64_t Producer::fetches() const {
  std::lock_guard lock{mutex_};
  return fetches_;
}

std::uint64_t Producer::overlapped_fetches() const {
  std::lock_guard lock{mutex_};
  return overlapped_fetches_;
}

bool Producer::fetching() const {
  std::lock_guard lock{mutex_};
  return in_flight_ > 0;
}

std::vector<core::LoopHealth> Producer::health() const {
  std::vector<core::LoopHealth> health;
  for (const auto& lane : lanes_) health.push_back(lane->health());
  return health;
}

std::size_t Producer::stragglers() const { return stragglers_->load(); }

ProducerCheck Producer::check() const {
  std::lock_guard lock{mutex_};
  ProducerCheck check;
  check.queue = config_.queue;
  check.node = config_.node;
  check.uuid = config_.uuid;
  check.limit = limit_;
  check.paused = paused_;
  for (const auto& [id, slot] : slots_) {
    if (!slot.returned) check.running.push_back(id);
  }
  check.started_at = started_at_;
  check.updated_at = updated_at_;
  check.shutdown_started_at = shutdown_started_at_;
  check.local_only = local_only_;
  return check;
}

int Producer::demand() const {
  // Slots for performs, and room under the bound on rows held executing, less what the
  // fetches in flight asked for: whatever they bring fits.
  const int held = static_cast<int>(slots_.size());
  return std::max(0, std::min(limit_ - performing_, max_held(limit_) - held) - reserved_);
}

int Producer::fetch_demand(SteadyClock::time_point now) const {
  if (draining_ || paused_ || finished_ || reconcile_ || !wanted_ || now < retry_at_ || in_flight_ >= static_cast<int>(kLanes)) return 0;
  const int wanted = demand();
  if (wanted == 0) return 0;
  // The cooldown only where waiting can make the fetch bigger: while jobs wait (the last
  // fetch came back full), a fetch for less than the whole limit waits until the cooldown
  // has passed since the last fetch ended; the whole limit goes at once (quick jobs free it
  // within the cooldown, and one statement for all of it costs the server and the node
  // about a quarter less per job than two halves). After a short fetch the queue was
  // empty, so the next insert or freed slot fetches at once.
  if (in_flight_ > 0) {
    // A second fetch only into a backlog, for at least half the limit: it hides the first
    // one's round trip when jobs take longer than the cooldown.
    return backlog_ && wanted >= std::max(1, limit_ / 2) ? wanted : 0;
  }
  if (!backlog_ || wanted >= limit_ || now >= last_fetch_end_ + config_.dispatch_cooldown) return wanted;
  return 0;
}

SteadyClock::duration Producer::step(std::size_t lane) {
  expire_timeouts();
  std::unique_lock lock{mutex_};
  if (finished_) return std::chrono::seconds{60};
  auto now = SteadyClock::now();
  if (now >= next_poll_) {
    wanted_ = true;
    woken_ = true;
    next_poll_ = now + config_.poll_interval;
  }
  if (!draining_ && reconcile_ && in_flight_ == 0 && now >= retry_at_) {
    reconcile(lock, lane, !paused_);
    now = SteadyClock::now();
  }
  if (const int wanted = fetch_demand(now); wanted > 0) {
    fetch(lock, lane, wanted);
    now = SteadyClock::now();
  }
  // The next round: at once when a fetch is due (after this lane's own, another may be),
  // else when the cooldown or backoff ends if one is wanted, the poll, and any worker
  // timeout that falls due earlier. Freed slots and wakes come as wake_lane().
  if (fetch_demand(now) > 0) return SteadyClock::duration::zero();
  auto next = next_poll_;
  if (reconcile_ && !draining_ && in_flight_ == 0) {
    next = std::min(next, std::max(now, retry_at_));
  } else if (wanted_ && now < retry_at_) {
    next = std::min(next, retry_at_);
  } else if (wanted_ && !draining_ && !paused_ && !reconcile_ && in_flight_ == 0 && backlog_ && demand() > 0 &&
             now < last_fetch_end_ + config_.dispatch_cooldown) {
    next = std::min(next, last_fetch_end_ + config_.dispatch_cooldown);  // the cooldown holds back a small fetch
  }
  for (const auto& [id, slot] : slots_) {
    if (!slot.returned && !slot.timed_out && slot.run->deadline) next = std::min(next, *slot.run->deadline);
  }
  return std::max(SteadyClock::duration::zero(), next - now);
}

void Producer::fetch(std::unique_lock<std::mutex>& lock, std::size_t lane, int wanted) {
  db::FetchRequest request;
  request.queue = config_.queue;
  request.demand = wanted;
  request.node = config_.node;
  request.producer_uuid = config_.uuid;
  if (config_.only_registered_workers) request.workers = registry_.names();
  ++fetches_;
  if (in_flight_ > 0) ++overlapped_fetches_;
  ++in_flight_;
  reserved_ += wanted;
  wanted_ = false;
  woken_ = false;
  lane_busy_[lane] = true;
  lock.unlock();
  std::vector<Job> jobs;
  std::optional<db::ErrorClass> failure;
  {
    telemetry::Span span{"engine:fetch_jobs", {{"queue", config_.queue}, {"node", config_.node}, {"demand", wanted}}};
    try {
      request.now = clock_.now();
      auto lease = pool_->acquire();
      jobs = store_->fetch_jobs(*lease, request);
      span.add("count", static_cast<std::int64_t>(jobs.size()));
    } catch (const std::exception& e) {
      failure = db::classify(e);
      span.stop_with_error("error", db::redact_secrets(e.what(), pool_->dsn()));
    }
  }
  // Made before the lock: what a run needs (its worker, its timeout) is the worker's code.
  std::vector<std::shared_ptr<JobRun>> runs;
  runs.reserve(jobs.size());
  for (auto& job : jobs) runs.push_back(make_run(std::move(job)));
  lock.lock();
  reserved_ -= wanted;
  last_fetch_end_ = SteadyClock::now();
  if (failure) {
    lane_busy_[lane] = false;
    --in_flight_;
    changed_.notify_all();
    ++failures_;
    wanted_ = true;  // tried again after the backoff
    // A lost connection may have left rows executing under our uuid: read back.
    if (*failure == db::ErrorClass::in_doubt || *failure == db::ErrorClass::connection) reconcile_ = true;
    retry_at_ = last_fetch_end_ + fetch_backoff(failures_);
    return;
  }
  failures_ = 0;
  // Full: more jobs are likely waiting, so fetch again as soon as the demand allows.
  backlog_ = static_cast<int>(runs.size()) == wanted;
  // Short: the queue was empty. Slots freed and acks landed while this fetch was out
  // asked for a fetch into a backlog that is gone; only a wake since it began (an insert
  // it may have missed, the poll) still wants one, else the next fetch would be empty.
  wanted_ = backlog_ || woken_;
  // Fetched before stop() but back after it began: never started, so given back. Still
  // counted in flight while they start, so stop() waits for them.
  start(lock, std::move(runs), !draining_);
  lane_busy_[lane] = false;
  --in_flight_;
  changed_.notify_all();
}

void Producer::reconcile(std::unique_lock<std::mutex>& lock, std::size_t lane, bool run_them) {
  // Alone: a fetch in flight would show its rows as ours but unknown.
  std::vector<std::int64_t> known;
  known.reserve(slots_.size());
  for (const auto& [id, slot] : slots_) known.push_back(id);
  ++in_flight_;
  lane_busy_[lane] = true;
  lock.unlock();
  std::vector<Job> owned;
  bool ok = true;
  try {
    auto lease = pool_->acquire();
    pqxx::read_transaction tx{*lease};
    owned = store_->owned_jobs(tx, config_.queue, config_.node, config_.uuid, known);
  } catch (const std::exception& e) {
    ok = false;
    telemetry::emit("producer:reconcile:exception", telemetry::Level::warning,
                    {{"queue", config_.queue}, {"node", config_.node},
                     {"error", db::redact_secrets(e.what(), pool_->dsn())}});
  }
  lock.lock();
  const auto done = [&] {
    --in_flight_;
    lane_busy_[lane] = false;
    changed_.notify_all();
  };
  if (!ok) {
    ++failures_;
    retry_at_ = SteadyClock::now() + fetch_backoff(failures_);
    done();
    return;
  }
  reconcile_ = false;
  wanted_ = true;
  // They were fetched for a demand we had; run what fits the demand we have now and give
  // the rest back, so the limit holds.
  const auto fits = std::min(static_cast<std::size_t>(run_them && !draining_ ? demand() : 0), owned.size());
  if (!owned.empty()) {
    telemetry::emit("producer:reconciled", telemetry::Level::warning,
                    {{"queue", config_.queue}, {"node", config_.node}, {"adopted", static_cast<std::int64_t>(fits)},
                     {"released", static_cast<std::int64_t>(owned.size() - fits)}},
                    {}, "jobs this producer fetched without seeing the answer were found executing");
  }
  std::vector<std::shared_ptr<JobRun>> adopted, released;
  for (std::size_t i = 0; i < owned.size(); ++i) (i < fits ? adopted : released).push_back(make_run(std::move(owned[i])));
  start(lock, std::move(released), false);
  start(lock, std::move(adopted), true);
  done();
}

std::shared_ptr<JobRun> Producer::make_run(Job job) const {
  auto run = std::make_shared<JobRun>();
  run->worker = executor_.resolve(job);
  if (run->worker) {
    const auto timeout = run->worker->timeout(job);
    if (timeout.count() > 0) {
      run->timeout_ms = timeout.count();
      run->deadline = SteadyClock::now() + timeout;
    }
  }
  run->job = std::move(job);
  return run;
}

void Producer::start(std::unique_lock<std::mutex>& lock, std::vector<std::shared_ptr<JobRun>> runs, bool run_them) {
  for (const auto& run : runs) {
    auto& slot = slots_[run->job.id];
    slot.run = run;
    if (run_them) {
      ++performing_;
    } else {
      slot.returned = true;
      run->decided = JobRun::Decider::shutdown;
      release(run);
    }
  }
  if (!run_them || runs.empty()) return;
  // Handed to threads without the lock: a quick job may end before the last one starts.
  lock.unlock();
  std::vector<std::shared_ptr<JobRun>> refused;
  for (const auto& run : runs) {
    if (!launch(run)) refused.push_back(run);
  }
  // No thread to run them: given back untouched, unless a pkill or timeout decided their
  // ack meanwhile.
  for (const auto& run : refused) {
    std::lock_guard run_lock{run->mutex};
    if (run->decided != JobRun::Decider::none) continue;
    run->decided = JobRun::Decider::shutdown;
    release(run);
  }
  lock.lock();
  if (refused.empty()) return;
  for (const auto& run : refused) {
    auto found = slots_.find(run->job.id);
    if (found == slots_.end()) continue;
    found->second.returned = true;
    --performing_;
    if (found->second.acked) slots_.erase(found);
  }
  // ...and back off as after a failed fetch.
  ++failures_;
  retry_at_ = SteadyClock::now() + fetch_backoff(failures_);
  changed_.notify_all();
}

bool Producer::launch(const std::shared_ptr<JobRun>& run) {
  auto transaction = std::make_shared<JobTransaction>(run, store_, pool_, clock_);
  return threads_.submit([this, run, transaction, stragglers = stragglers_, node = config_.node] {
    emit_job_start(run->job, node);
    const Execution execution = Executor::run(run->job, run->worker, run->stop.get_token(), transaction.get());
    std::lock_guard run_lock{run->mutex};
    if (run->abandoned) {
      --*stragglers;  // the producer let go of it: touch nothing of it
      return;
    }
    performed(run, execution);
  });
}

void Producer::submit(const std::shared_ptr<JobRun>& run, const Execution& execution) {
  const auto ack = Executor::to_ack(run->job, execution, clock_.now());
  emit_job_end(run->job, config_.node, execution, ack, SteadyClock::now() - run->started);
  completer_.submit(ack, [this, id = run->job.id] { acked(id); });
}

void Producer::release(const std::shared_ptr<JobRun>& run, const std::optional<Execution>& ran) {
  auto ack = Executor::to_ack(run->job, Execution{}, clock_.now());
  ack.kind = db::AckKind::release;
  if (ran) emit_job_end(run->job, config_.node, *ran, ack, SteadyClock::now() - run->started);
  completer_.submit(ack, [this, id = run->job.id] { acked(id); });
}

void Producer::performed(const std::shared_ptr<JobRun>& run, const Execution& execution) {
  bool acked_now = false;
  if (run->decided == JobRun::Decider::none) {
    run->decided = JobRun::Decider::perform;
    if (execution.kind == Execution::Kind::superseded) {
      // The row moved on before perform could commit (AttemptEnded): nothing to write.
      telemetry::emit("job:superseded", telemetry::Level::info,
                      {{"id", run->job.id}, {"queue", run->job.queue}, {"worker", run->job.worker},
                       {"node", config_.node}, {"error", execution.error}});
      acked_now = true;
    } else if (run->shutdown_requested &&
               (execution.kind == Execution::Kind::failure || execution.kind == Execution::Kind::infrastructure)) {
      // Failed once stop() asked it to stop: shutdown's doing, not the job's.
      release(run, execution);
    } else {
      submit(run, execution);
    }
  } else if (run->decided == JobRun::Decider::transaction) {
    // JobContext::transaction committed the ack with the job's writes.
    const Execution committed = run->committed.value_or(execution);
    emit_job_end(run->job, config_.node, committed, Executor::to_ack(run->job, committed, clock_.now()),
                 SteadyClock::now() - run->started);
    acked_now = true;
  }
  std::unique_lock lock{mutex_};
  auto found = slots_.find(run->job.id);
  if (found != slots_.end()) {
    found->second.returned = true;
    found->second.acked = found->second.acked || acked_now;
    --performing_;
    if (found->second.acked) slots_.erase(found);
  }
  // A slot is free: worth a fetch if jobs wait. After a short fetch the queue was empty,
  // and new jobs announce themselves (an insert notification, the poll).
  if (backlog_) wanted_ = true;
  changed_.notify_all();
  wake_lane(lock);
}

void Producer::acked(std::int64_t id) {
  std::unique_lock lock{mutex_};
  auto found = slots_.find(id);
  if (found != slots_.end()) {
    found->second.acked = true;
    if (found->second.returned) slots_.erase(found);
  }
  if (backlog_) wanted_ = true;  // room under the held bound, as above
  changed_.notify_all();
  wake_lane(lock);
}

std::vector<std::shared_ptr<JobRun>> Producer::performing_runs() const {
  std::vector<std::shared_ptr<JobRun>> runs;
  for (const auto& [id, slot] : slots_) {
    if (!slot.returned) runs.push_back(slot.run);
  }
  return runs;
}

void Producer::expire_timeouts() {
  std::vector<std::shared_ptr<JobRun>> expired;
  {
    std::lock_guard lock{mutex_};
    const auto now = SteadyClock::now();
    for (auto& [id, slot] : slots_) {
      if (slot.returned || slot.timed_out || !slot.run->deadline || *slot.run->deadline > now) continue;
      slot.timed_out = true;
      expired.push_back(slot.run);
    }
  }
  for (const auto& run : expired) {
    std::lock_guard run_lock{run->mutex};
    if (run->decided != JobRun::Decider::none || run->abandoned) continue;
    run->decided = JobRun::Decider::timeout;
    run->stop.request_stop();
    submit(run, timeout_execution(run->job, run->timeout_ms));
  }
}

void Producer::begin_stop() noexcept {
  {
    std::lock_guard lock{mutex_};
    if (draining_) return;
    draining_ = true;
    paused_ = true;  // as Oban's shutdown: the check shows it paused, with shutdown_started_at
    shutdown_started_at_ = clock_.now();
  }
  for (auto& lane : lanes_) lane->wake();
}

void Producer::await_grace(SteadyClock::time_point grace) noexcept {
  begin_stop();
  const auto began = SteadyClock::now();
  std::unique_lock lock{mutex_};
  if (graced_) return;
  // Fetches in flight land first (their jobs are released), so nothing starts after this.
  changed_.wait(lock, [&] { return in_flight_ == 0; });
  changed_.wait_until(lock, grace, [&] { return slots_.empty(); });
  graced_ = true;
  Value::Array orphaned;
  for (const auto& run : performing_runs()) orphaned.push_back(run->job.id);
  lock.unlock();
  if (!orphaned.empty()) {
    // Oban's event and message: these jobs outlived the grace period.
    telemetry::emit("queue:shutdown", telemetry::Level::warning,
                    {{"queue", config_.queue}, {"node", config_.node}, {"orphaned", std::move(orphaned)}},
                    {{"elapsed", std::chrono::duration_cast<milliseconds>(SteadyClock::now() - began).count()}},
                    "jobs were orphaned because they didn't finish executing in the allotted time");
  }
}

std::size_t Producer::finish_stop(SteadyClock::time_point hard) noexcept {
  await_grace(SteadyClock::now());
  const auto began = SteadyClock::now();
  std::unique_lock lock{mutex_};
  if (finished_) return stragglers_->load();
  // Past the grace: ask what still runs to stop, and give it until the hard deadline.
  auto runs = performing_runs();
  lock.unlock();
  for (const auto& run : runs) {
    std::lock_guard run_lock{run->mutex};
    run->shutdown_requested = true;
    run->stop.request_stop();
  }
  lock.lock();
  changed_.wait_until(lock, hard, [&] { return performing_ == 0; });
  runs = performing_runs();
  lock.unlock();
  Value::Array given_up;
  for (const auto& run : runs) {
    std::lock_guard run_lock{run->mutex};
    if (run->abandoned) continue;
    run->abandoned = true;
    ++*stragglers_;
    given_up.push_back(run->job.id);
    // Released unless its ack is decided already (a timeout, a pkill, a commit in flight).
    if (run->decided == JobRun::Decider::none) {
      run->decided = JobRun::Decider::shutdown;
      release(run);
    }
  }
  lock.lock();
  // A fetch that may have committed unseen: give back whatever it left under our uuid.
  if (reconcile_) reconcile(lock, 0, false);
  finished_ = true;
  lock.unlock();
  for (auto& lane : lanes_) lane->stop();
  if (!given_up.empty()) {
    telemetry::emit("queue:released", telemetry::Level::warning,
                    {{"queue", config_.queue}, {"node", config_.node}, {"job_ids", std::move(given_up)}},
                    {{"elapsed", std::chrono::duration_cast<milliseconds>(SteadyClock::now() - began).count()}},
                    "jobs still running after the shutdown grace and the hard deadline: released for another run");
  }
  return stragglers_->load();
}

void Producer::stop(milliseconds grace, milliseconds hard) noexcept {
  const auto now = SteadyClock::now();
  await_grace(now + grace);
  finish_stop(now + grace + hard);
}

}  // namespace oban::queue
