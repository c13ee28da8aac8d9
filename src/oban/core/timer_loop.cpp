#include "oban/core/timer_loop.hpp"

#include "oban/core/telemetry.hpp"

namespace oban::core {

TimerLoop::TimerLoop(std::string name, Step step) : name_(std::move(name)), step_(std::move(step)) {}

TimerLoop::~TimerLoop() { stop(); }

void TimerLoop::start(std::chrono::milliseconds first_delay) {
  std::lock_guard control{control_mutex_};
  if (thread_.joinable()) return;
  {
    std::lock_guard lock{mutex_};
    stopping_ = false;
    woken_ = false;
  }
  thread_ = std::thread([this, first_delay] { run(std::chrono::steady_clock::duration{first_delay}); });
  running_ = true;
}

void TimerLoop::stop() noexcept {
  std::lock_guard control{control_mutex_};
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  running_ = false;
}

void TimerLoop::wake() {
  {
    std::lock_guard lock{mutex_};
    woken_ = true;
  }
  cv_.notify_all();
}

bool TimerLoop::running() const { return running_; }

void TimerLoop::run(std::chrono::steady_clock::duration delay) {
  std::unique_lock lock{mutex_};
  for (;;) {
    last_beat_ = std::chrono::steady_clock::now();
    if (delay.count() > 0) cv_.wait_for(lock, delay, [this] { return stopping_ || woken_; });
    if (stopping_) break;
    woken_ = false;
    lock.unlock();
    in_step_ = true;
    last_beat_ = std::chrono::steady_clock::now();
    try {
      delay = step_();
    } catch (const std::exception& error) {
      telemetry::emit("loop:exception", telemetry::Level::error, {{"loop", name_}, {"error", error.what()}});
      delay = kRetryAfterError;
    } catch (...) {
      telemetry::emit("loop:exception", telemetry::Level::error, {{"loop", name_}, {"error", "unknown exception"}});
      delay = kRetryAfterError;
    }
    in_step_ = false;
    lock.lock();
  }
}

}  // namespace oban::core
