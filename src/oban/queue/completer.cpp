#include "oban/queue/completer.hpp"

#include <algorithm>
#include <array>

#include "oban/core/telemetry.hpp"

namespace oban::queue {
namespace {

using SteadyClock = std::chrono::steady_clock;

// How long the loop sleeps with nothing to do; a submit wakes it.
constexpr std::chrono::milliseconds kIdle{60000};

const char* kind_name(db::AckKind kind) {
  switch (kind) {
    case db::AckKind::complete: return "complete";
    case db::AckKind::error: return "error";
    case db::AckKind::discard: return "discard";
    case db::AckKind::snooze: return "snooze";
    case db::AckKind::cancel: return "cancel";
    case db::AckKind::release: return "release";
  }
  return "complete";
}

template <class Pendings>
Value::Object batch_metadata(const Pendings& batch) {
  std::array<std::int64_t, 6> counts{};
  for (const auto& pending : batch) ++counts[static_cast<std::size_t>(pending.ack.kind)];
  Value::Object metadata{{"count", static_cast<std::int64_t>(batch.size())}};
  for (std::size_t kind = 0; kind < counts.size(); ++kind) {
    if (counts[kind] > 0) metadata[kind_name(static_cast<db::AckKind>(kind))] = counts[kind];
  }
  return metadata;
}

template <class Pendings>
std::vector<db::JobAck> acks_of(const Pendings& batch) {
  std::vector<db::JobAck> acks;
  acks.reserve(batch.size());
  for (const auto& pending : batch) acks.push_back(pending.ack);
  return acks;
}

}  // namespace

Completer::Completer(db::ConnectionPool& pool, const db::JobStore& store, CompleterOptions options)
    : pool_(pool), store_(store), options_(options), busy_(std::max<std::size_t>(options_.writers, 1), false) {
  for (std::size_t i = 0; i < busy_.size(); ++i) {
    // "completer", "completer:2", ...: each writer's own name in the node's liveness check.
    const std::string name = i == 0 ? "completer" : "completer:" + std::to_string(i + 1);
    loops_.push_back(std::make_unique<core::TimerLoop>(name, [this, i] { return step(i); }));
  }
}

Completer::~Completer() { stop(SteadyClock::now()); }

void Completer::start() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = false;
  }
  for (auto& loop : loops_) loop->start();
}

void Completer::submit(db::JobAck ack, std::function<void()> on_written) {
  core::TimerLoop* wake = nullptr;
  {
    std::lock_guard lock{mutex_};
    // Wake a writer only where one waits for this: the first ack of a batch (they sleep
    // while there are none) and a full batch (it stops gathering). A busy writer looks at
    // the queue again as soon as its write ends, so an idle one is woken.
    if (queue_.empty() || queue_.size() + 1 >= options_.max_batch) {
      for (std::size_t i = 0; i < busy_.size() && !wake; ++i) {
        if (!busy_[i]) wake = loops_[i].get();
      }
    }
    queue_.push_back({std::move(ack), std::move(on_written), SteadyClock::now(), {}, {}});
  }
  if (wake) wake->wake();
}

std::vector<core::LoopHealth> Completer::health() const {
  std::vector<core::LoopHealth> health;
  for (const auto& loop : loops_) health.push_back(loop->health());
  return health;
}

std::size_t Completer::pending() const {
  std::lock_guard lock{mutex_};
  return queue_.size() + writing_ + held_.size();
}

std::size_t Completer::held() const {
  std::lock_guard lock{mutex_};
  return held_.size() + retrying_;
}

SteadyClock::duration Completer::step(std::size_t writer) {
  std::vector<Pending> batch;
  std::size_t retried = 0;
  {
    std::lock_guard lock{mutex_};
    const auto now = SteadyClock::now();
    if (!queue_.empty() && !stopping_ && options_.batch_window.count() > 0 && queue_.size() < options_.max_batch &&
        now < queue_.front().since + options_.batch_window) {
      // Gather: many jobs finish close together, and one write for all of them is the
      // difference between one commit per job and one per batch.
      return queue_.front().since + options_.batch_window - now;
    }
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    // Held acks whose retry is due ride along (a refused one is split out again).
    for (auto it = held_.begin(); it != held_.end() && batch.size() < options_.max_batch;) {
      if (it->retry_at <= now) {
        batch.push_back(std::move(*it));
        it = held_.erase(it);
        ++retried;
      } else {
        ++it;
      }
    }
    if (batch.empty()) {
      auto next = now + kIdle;
      for (const auto& held : held_) next = std::min(next, held.retry_at);
      return std::max(SteadyClock::duration{std::chrono::microseconds{100}}, next - now);
    }
    writing_ += batch.size();
    retrying_ += retried;
    busy_[writer] = true;
  }
  const std::size_t written = batch.size();

  Written out;
  write(std::move(batch), out);
  for (auto& pending : out.resolved) {
    if (!pending.on_written) continue;
    try {
      pending.on_written();
    } catch (const std::exception& e) {
      telemetry::emit("completer:callback:exception", telemetry::Level::error,
                      {{"job_id", pending.ack.id}, {"error", e.what()}});
    }
  }
  std::lock_guard lock{mutex_};
  writing_ -= written;
  retrying_ -= retried;
  busy_[writer] = false;
  hold(std::move(out.failed), out.error);
  settled_.notify_all();
  if (!queue_.empty()) return SteadyClock::duration::zero();
  auto next = SteadyClock::now() + kIdle;
  for (const auto& held : held_) next = std::min(next, held.retry_at);
  return std::max(SteadyClock::duration::zero(), next - SteadyClock::now());
}

void Completer::hold(std::vector<Pending> failed, const std::string& error) {
  const auto now = SteadyClock::now();
  for (auto& pending : failed) {
    pending.delay = pending.delay.count() == 0 ? options_.first_retry : std::min(pending.delay * 2, options_.max_retry);
    pending.retry_at = now + pending.delay;
    // While stopping, the last retries must fall before the deadline.
    if (stopping_) pending.retry_at = std::min(pending.retry_at, std::max(now, deadline_ - options_.first_retry));
    held_.push_back(std::move(pending));
  }
  // Reported when the count leaves 0 and when it is back to 0, not on every retry.
  if (!holding_ && !held_.empty()) {
    holding_ = true;
    telemetry::emit("completer:held", telemetry::Level::warning,
                    {{"count", static_cast<std::int64_t>(held_.size())}, {"error", db::redact_secrets(error, pool_.dsn())}},
                    {}, "acks the database did not take are kept and retried until they land");
  } else if (holding_ && held_.empty()) {
    holding_ = false;
    telemetry::emit("completer:released", telemetry::Level::info, {{"count", 0}});
  }
}

void Completer::write(std::vector<Pending> batch, Written& out) {
  telemetry::Span span{"engine:ack_jobs", batch_metadata(batch)};
  std::vector<std::int64_t> written;
  try {
    auto lease = pool_.acquire();
    written = store_.ack_jobs(*lease, acks_of(batch));
  } catch (const std::exception& e) {
    const auto error_class = db::classify(e);
    const std::string message = db::redact_secrets(e.what(), pool_.dsn());
    span.stop_with_error(error_class == db::ErrorClass::statement ? "refused" : "unavailable", message);
    out.error = message;
    switch (error_class) {
      case db::ErrorClass::connection:
      case db::ErrorClass::transient:
        // Nothing was committed, and the same statement may pass later: retry it whole.
        for (auto& pending : batch) out.failed.push_back(std::move(pending));
        return;
      case db::ErrorClass::in_doubt:
        resolve_in_doubt(std::move(batch), out);
        return;
      case db::ErrorClass::statement:
        if (batch.size() == 1) {
          out.failed.push_back(std::move(batch.front()));
          return;
        }
        // Some ack's data is refused: halve until the refused ones stand alone.
        std::vector<Pending> second(std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(batch.size() / 2)),
                                    std::make_move_iterator(batch.end()));
        batch.resize(batch.size() / 2);
        write(std::move(batch), out);
        write(std::move(second), out);
        return;
    }
    return;
  }
  const auto superseded = static_cast<std::int64_t>(batch.size() - written.size());
  span.add("written", static_cast<std::int64_t>(written.size()));
  span.add("superseded", superseded);
  span.stop();
  if (superseded > 0) {
    Value::Array ids;
    for (const auto& pending : batch) {
      if (std::find(written.begin(), written.end(), pending.ack.id) == written.end()) ids.push_back(pending.ack.id);
    }
    telemetry::emit("completer:superseded", telemetry::Level::info, {{"job_ids", std::move(ids)}}, {},
                    "acks not written: the rows had moved on (cancelled, rescued, or run by another producer)");
  }
  for (auto& pending : batch) out.resolved.push_back(std::move(pending));
}

// The COMMIT's connection was lost: the batch may or may not be in. Read each row back.
void Completer::resolve_in_doubt(std::vector<Pending> batch, Written& out) {
  std::vector<db::AckStatus> statuses;
  try {
    auto lease = pool_.acquire();
    statuses = store_.ack_status(*lease, acks_of(batch));
  } catch (const std::exception& e) {
    // Cannot tell now: retry them all; the guards make a landed one a no-op.
    out.error = db::redact_secrets(e.what(), pool_.dsn());
    for (auto& pending : batch) out.failed.push_back(std::move(pending));
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (statuses.at(i) == db::AckStatus::pending) {
      out.failed.push_back(std::move(batch[i]));
    } else {
      out.resolved.push_back(std::move(batch[i]));
    }
  }
}

void Completer::stop(SteadyClock::time_point deadline) noexcept {
  {
    std::unique_lock lock{mutex_};
    if (!stopping_) deadline_ = deadline;
    stopping_ = true;
    // Held acks are due now: the last chance to write them comes before the deadline.
    for (auto& held : held_) held.retry_at = std::min(held.retry_at, SteadyClock::now());
  }
  if (loops_.front()->running()) {
    for (auto& loop : loops_) loop->wake();
    std::unique_lock lock{mutex_};
    settled_.wait_until(lock, deadline_, [&] { return queue_.empty() && held_.empty() && writing_ == 0; });
  }
  for (auto& loop : loops_) loop->stop();  // each waits for its write in progress (bounded by the pool's timeouts)
  std::lock_guard lock{mutex_};
  if (!queue_.empty() || !held_.empty()) {
    Value::Array ids;
    for (const auto& pending : queue_) ids.push_back(pending.ack.id);
    for (const auto& pending : held_) ids.push_back(pending.ack.id);
    telemetry::emit("completer:lost", telemetry::Level::error,
                    {{"count", static_cast<std::int64_t>(ids.size())}, {"job_ids", std::move(ids)}}, {},
                    "acks not written at shutdown: these jobs stay executing until a Lifeline rescues them");
    queue_.clear();
    held_.clear();
  }
}

}  // namespace oban::queue
