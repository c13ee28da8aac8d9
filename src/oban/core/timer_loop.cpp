#include "oban/core/timer_loop.hpp"

#include <spdlog/spdlog.h>

namespace oban::core {

TimerLoop::TimerLoop(std::string name, Delay delay, Tick tick, bool tick_at_start)
    : name_(std::move(name)), delay_(std::move(delay)), tick_(std::move(tick)), tick_at_start_(tick_at_start) {}

TimerLoop::~TimerLoop() { stop(); }

void TimerLoop::start() {
  std::lock_guard control{control_mutex_};
  if (thread_.joinable()) return;
  {
    std::lock_guard lock{mutex_};
    stopping_ = false;
    woken_ = tick_at_start_;
  }
  thread_ = std::thread([this] { run(); });
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

void TimerLoop::run() {
  std::unique_lock lock{mutex_};
  while (!stopping_) {
    if (!woken_) {
      std::chrono::milliseconds delay{0};
      lock.unlock();
      try {
        delay = delay_();
      } catch (const std::exception& error) {
        spdlog::error("timer_loop_delay_failed loop={} error={}", name_, error.what());
        delay = std::chrono::milliseconds{1000};
      }
      lock.lock();
      cv_.wait_for(lock, delay, [this] { return stopping_ || woken_; });
      if (stopping_) break;
    }
    woken_ = false;
    lock.unlock();
    try {
      tick_();
    } catch (const std::exception& error) {
      spdlog::error("timer_loop_tick_failed loop={} error={}", name_, error.what());
    } catch (...) {
      spdlog::error("timer_loop_tick_failed loop={} error=unknown", name_);
    }
    lock.lock();
  }
}

}  // namespace oban::core
