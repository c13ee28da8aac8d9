#include "rindle/token_bucket.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <stdexcept>
#include <string>


namespace rindle {

namespace {

TokenBucket::TimePoint steady_now() { return std::chrono::steady_clock::now(); }

void real_sleep(TokenBucket::Duration wait, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock{mutex};
  woken.wait_for(lock, stop, wait, [] { return false; });
}

TokenBucket::Duration interval_for(double rate_per_second) {
  if (!(rate_per_second > 0.0) || !std::isfinite(rate_per_second)) {
    throw std::invalid_argument("TokenBucket: rate_per_second must be a positive number");
  }
  // Whole clock ticks, so a fake clock sees exact, repeatable waits.
  const auto ticks_per_second = static_cast<double>(TokenBucket::Duration::period::den) /
                                static_cast<double>(TokenBucket::Duration::period::num);
  const double exact_ticks = ticks_per_second / rate_per_second;
  // Slower than one token per ~30 years cannot be represented; nobody means it.
  if (exact_ticks > 1e18) throw std::invalid_argument("TokenBucket: rate_per_second is too small");
  const auto ticks = std::llround(exact_ticks);
  return TokenBucket::Duration{ticks < 1 ? 1 : ticks};
}

}  // namespace

TokenBucket::TokenBucket(double rate_per_second, int burst)
    : TokenBucket(rate_per_second, burst, steady_now, real_sleep) {}

TokenBucket::TokenBucket(double rate_per_second, int burst, ClockFn clock, SleepFn sleep)
    : rate_per_second_(rate_per_second),
      burst_(burst),
      interval_(interval_for(rate_per_second)),
      tolerance_(interval_ * (burst > 0 ? burst - 1 : 0)),
      clock_(std::move(clock)),
      sleep_(std::move(sleep)) {
  if (burst < 1) throw std::invalid_argument("TokenBucket: burst must be at least 1");
  if (!clock_ || !sleep_) throw std::invalid_argument("TokenBucket: clock and sleep are required");
}

bool TokenBucket::acquire(std::stop_token stop) {
  if (stop.stop_requested()) return false;
  Duration wait{};
  {
    std::lock_guard lock(mutex_);
    const auto now = clock_();
    const auto earned_at = std::max(next_token_at_, now);
    // The token is usable once we are no more than `tolerance_` ahead of the rate.
    const auto usable_at = earned_at - tolerance_;
    next_token_at_ = earned_at + interval_;
    if (usable_at > now) wait = usable_at - now;
  }
  if (wait > Duration::zero()) sleep_(wait, stop);
  return !stop.stop_requested();
}

bool TokenBucket::try_acquire() {
  std::lock_guard lock(mutex_);
  const auto now = clock_();
  const auto earned_at = std::max(next_token_at_, now);
  if (earned_at - tolerance_ > now) return false;
  next_token_at_ = earned_at + interval_;
  return true;
}

}  // namespace rindle
