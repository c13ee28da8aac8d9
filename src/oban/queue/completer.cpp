#include "oban/queue/completer.hpp"

#include "oban/core/telemetry.hpp"

namespace oban::queue {

Completer::Completer(db::ConnectionPool& pool, const db::JobStore& store, CompleterOptions options)
    : pool_(pool), store_(store), options_(options) {}

Completer::~Completer() { stop(std::chrono::steady_clock::now()); }

void Completer::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock{mutex_};
    stopping_ = false;
  }
  looping_ = true;
  thread_ = std::thread([this] { run(); });
}

void Completer::submit(db::JobAck ack, std::function<void()> on_written) {
  {
    std::lock_guard lock{mutex_};
    queue_.push_back({std::move(ack), std::move(on_written)});
  }
  cv_.notify_one();
}

void Completer::stop(std::chrono::steady_clock::time_point deadline) noexcept {
  {
    std::lock_guard lock{mutex_};
    if (!stopping_) deadline_ = deadline;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock{mutex_};
  if (!queue_.empty()) {
    telemetry::emit("completer:lost", telemetry::Level::error, {{"count", queue_.size()}}, {},
                    "acks not written at shutdown: these jobs stay executing until a Lifeline rescues them");
    queue_.clear();
  }
}

std::size_t Completer::pending() const {
  std::lock_guard lock{mutex_};
  return queue_.size();
}

std::size_t Completer::held() const { return held_.load(); }

core::LoopHealth Completer::health() const { return {"completer", looping_.load(), in_step_.load(), last_beat_.load()}; }

bool Completer::give_up() const {
  std::lock_guard lock{mutex_};
  return stopping_ && std::chrono::steady_clock::now() >= deadline_;
}

void Completer::run() {
  std::unique_lock lock{mutex_};
  for (;;) {
    last_beat_ = std::chrono::steady_clock::now();
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    last_beat_ = std::chrono::steady_clock::now();
    if (queue_.empty()) break;  // stopping with nothing left
    if (!stopping_ && options_.batch_window.count() > 0 && queue_.size() < options_.max_batch) {
      // Gather: many jobs finish close together, and one write for all of them is the
      // difference between one commit per job and one per batch.
      cv_.wait_for(lock, options_.batch_window, [&] { return stopping_ || queue_.size() >= options_.max_batch; });
    }
    std::vector<Pending> batch;
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    in_step_ = true;
    write(batch);
    in_step_ = false;
    lock.lock();
    if (stopping_ && std::chrono::steady_clock::now() >= deadline_ && !queue_.empty()) break;
  }
  looping_ = false;
}

void Completer::write(std::vector<Pending>& batch) {
  std::vector<db::JobAck> acks;
  acks.reserve(batch.size());
  for (const auto& pending : batch) acks.push_back(pending.ack);
  if (!write_with_retry(acks)) {
    // A statement the database refuses for good (not a lost connection): write the acks one
    // by one so a single bad ack cannot hold the others back.
    for (auto& pending : batch) {
      if (!write_with_retry({pending.ack})) {
        telemetry::emit("completer:dropped", telemetry::Level::error, {{"job_id", pending.ack.id}});
      }
    }
  }
  for (auto& pending : batch) {
    if (!pending.on_written) continue;
    try {
      pending.on_written();
    } catch (const std::exception& e) {
      telemetry::emit("completer:callback:exception", telemetry::Level::error,
                      {{"job_id", pending.ack.id}, {"error", e.what()}});
    }
  }
}

// True when written; false when the database refuses the statement itself. Transient
// failures are retried until written (or, once stopping, until the deadline).
bool Completer::write_with_retry(const std::vector<db::JobAck>& acks) {
  auto delay = options_.first_retry;
  for (;;) {
    last_beat_ = std::chrono::steady_clock::now();  // each attempt shows the loop is alive
    bool transient = true;
    std::string message;
    telemetry::Span span{"engine:ack_jobs", {{"count", acks.size()}}};
    try {
      auto lease = pool_.acquire();
      try {
        store_.ack_jobs(*lease, acks);
        span.stop();
        held_ = 0;
        return true;
      } catch (const std::exception& e) {
        transient = db::is_transient(e) || !lease->is_open();
        message = e.what();
        lease.discard();
      }
    } catch (const std::exception& e) {  // could not even connect
      message = e.what();
    }
    if (!transient) {
      span.add("refused", true);
      span.stop_with_error("error", message, telemetry::Level::error);
      held_ = 0;
      return false;
    }
    if (give_up()) {
      span.stop_with_error("error", message, telemetry::Level::error);
      telemetry::emit("completer:abandoned", telemetry::Level::error, {{"acks", acks.size()}, {"error", message}});
      held_ = 0;
      return true;  // nothing more can be done; the Lifeline rescues these jobs
    }
    held_ = acks.size();
    span.add("retry_in_ms", delay.count());
    span.stop_with_error("error", message, telemetry::Level::warning);
    std::unique_lock lock{mutex_};
    cv_.wait_for(lock, delay, [&] { return stopping_ && std::chrono::steady_clock::now() >= deadline_; });
    delay = std::min(delay * 2, options_.max_retry);
  }
}

}  // namespace oban::queue
