#include "oban/core/clock.hpp"

namespace oban {

Timestamp SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

Timestamp ManualClock::now() const {
  std::lock_guard lock{mutex_};
  return now_;
}

void ManualClock::set(Timestamp t) {
  std::lock_guard lock{mutex_};
  now_ = t;
}

void ManualClock::advance(std::chrono::microseconds by) {
  std::lock_guard lock{mutex_};
  now_ += by;
}

}  // namespace oban
