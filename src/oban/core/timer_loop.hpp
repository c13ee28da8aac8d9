#pragma once
// A thin periodic loop on its own thread: runs `tick`, then waits `delay()` of real time
// (or until woken or stopped). The work lives in the caller's run_once(); this only
// schedules it. Time *decisions* belong to an oban::Clock; this waits on the steady clock.
#include <chrono>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace oban::core {

class TimerLoop {
 public:
  using Tick = std::function<void()>;
  using Delay = std::function<std::chrono::milliseconds()>;

  // `name` labels log lines. `tick_at_start`: run the first tick at once instead of after
  // the first delay. Exceptions escaping `tick` are caught and logged, and the loop goes on.
  TimerLoop(std::string name, Delay delay, Tick tick, bool tick_at_start);
  ~TimerLoop();
  TimerLoop(const TimerLoop&) = delete;
  TimerLoop& operator=(const TimerLoop&) = delete;

  void start();           // no-op when already running
  void stop() noexcept;   // idempotent; waits for a running tick to finish
  void wake();            // run the next tick now
  bool running() const;

 private:
  void run();

  const std::string name_;
  const Delay delay_;
  const Tick tick_;
  const bool tick_at_start_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mutex_
  bool woken_ = false;     // guarded by mutex_
  std::mutex control_mutex_;  // serialises start() and stop()
  std::thread thread_;        // guarded by control_mutex_
  std::atomic<bool> running_{false};
};

}  // namespace oban::core
