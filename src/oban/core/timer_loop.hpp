#pragma once
// The one loop primitive for background work (producers, the completer, the stager, the
// plugins, the peer, the notifier): a thread that runs `step`, then waits for as long as
// `step` asked, or until woken or stopped. The work lives in the owner's step / run_once();
// this only schedules it. Time *decisions* belong to an oban::Clock; this waits on the
// steady clock.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "oban/core/loop_health.hpp"

namespace oban::core {

class TimerLoop {
 public:
  // One round of work; returns how long to wait before the next round (a wake() or stop()
  // ends the wait early). An exception escaping it is reported as a "loop:exception"
  // telemetry event and the loop waits kRetryAfterError before the next round. Any
  // duration converts (milliseconds for most; a producer's 5 ms cooldown needs finer).
  using Step = std::function<std::chrono::steady_clock::duration()>;
  static constexpr std::chrono::milliseconds kRetryAfterError{1000};

  // `name` labels telemetry ("loop": name).
  TimerLoop(std::string name, Step step);
  ~TimerLoop();  // stop()
  TimerLoop(const TimerLoop&) = delete;
  TimerLoop& operator=(const TimerLoop&) = delete;

  // Starts the thread; the first step runs after `first_delay` (or at a wake()). A thread
  // that cannot be created throws std::system_error and leaves the loop stopped.
  // No-op when already running.
  void start(std::chrono::milliseconds first_delay = std::chrono::milliseconds{0});
  void stop() noexcept;  // idempotent; waits for a running step to finish
  void wake();           // run the next step now (or right after the current one)
  bool running() const;

  // For health checks: when the thread last started or finished a step or a wait; a loop
  // whose step has been running far longer than its work takes is stuck.
  std::chrono::steady_clock::time_point last_beat() const { return last_beat_.load(); }
  bool in_step() const { return in_step_.load(); }
  const std::string& name() const { return name_; }
  LoopHealth health() const { return {name_, running(), in_step(), last_beat()}; }

 private:
  void run(std::chrono::steady_clock::duration first_delay);

  const std::string name_;
  const Step step_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mutex_
  bool woken_ = false;     // guarded by mutex_
  std::mutex control_mutex_;  // serialises start() and stop()
  std::thread thread_;        // guarded by control_mutex_
  std::atomic<bool> running_{false};
  std::atomic<bool> in_step_{false};
  std::atomic<std::chrono::steady_clock::time_point> last_beat_{std::chrono::steady_clock::now()};
};

}  // namespace oban::core
