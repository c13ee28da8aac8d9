#pragma once
// Time-dependent logic (peers, cron, pruner, lifeline, uniqueness periods, backoff)
// takes a Clock, so tests drive it with a ManualClock instead of sleeping.
#include <mutex>

#include "oban/core/timestamp.hpp"

namespace oban {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

// The node's wall clock, as Elixir's DateTime.utc_now().
class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
  static SystemClock& instance();
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : now_(start) {}
  Timestamp now() const override;
  void set(Timestamp t);
  void advance(std::chrono::microseconds by);

 private:
  mutable std::mutex mutex_;
  Timestamp now_;  // guarded by mutex_
};

}  // namespace oban
