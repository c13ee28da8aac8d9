#pragma once
// Keeps this node's Mux calls under Mux's GET limit (5 sustained requests per second),
// shared by every worker thread that talks to Mux.
#include <chrono>
#include <functional>
#include <mutex>
#include <stop_token>

namespace rindle {

class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;
  // Injected so tests can drive time without sleeping; the sleep receives the wait and
  // must return early when the stop token is requested.
  using ClockFn = std::function<TimePoint()>;
  using SleepFn = std::function<void(Duration, std::stop_token)>;

  static constexpr double kDefaultRatePerSecond = 5.0;
  static constexpr int kDefaultBurst = 5;

  // Throws std::invalid_argument when rate_per_second <= 0 or burst < 1.
  explicit TokenBucket(double rate_per_second = kDefaultRatePerSecond, int burst = kDefaultBurst);
  TokenBucket(double rate_per_second, int burst, ClockFn clock, SleepFn sleep);

  // Blocks until a token is this caller's. Callers are served in arrival order: each
  // one reserves its slot under the lock and sleeps outside it. Returns false when `stop`
  // was requested before the token came (its slot stays spent: the rate only gets safer).
  bool acquire(std::stop_token stop = {});
  // Takes a token only if one is available now.
  bool try_acquire();

  double rate_per_second() const { return rate_per_second_; }
  int burst() const { return burst_; }

 private:
  double rate_per_second_;
  int burst_;
  Duration interval_;   // time to earn one token
  Duration tolerance_;  // how far ahead of the steady rate a burst may run
  ClockFn clock_;
  SleepFn sleep_;
  std::mutex mutex_;
  // Guarded by mutex_: when the next token is earned at the steady rate (GCRA's
  // "theoretical arrival time"); in the past when the bucket is full.
  TimePoint next_token_at_{};
};

}  // namespace rindle
