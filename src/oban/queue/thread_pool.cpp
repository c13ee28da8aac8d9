#include "oban/queue/thread_pool.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "oban/core/telemetry.hpp"

namespace oban::queue {

struct ThreadPool::State {
  std::mutex mutex;  // guards everything below
  std::condition_variable work;
  std::condition_variable exited;
  std::deque<std::function<void()>> tasks;
  std::size_t idle = 0;
  std::size_t alive = 0;
  bool stopping = false;
  struct Member {
    std::thread thread;
    std::shared_ptr<bool> done;  // guarded by mutex
  };
  std::vector<Member> threads;

  static void loop(const std::shared_ptr<State>& self, const std::shared_ptr<bool>& done) {
    std::unique_lock lock{self->mutex};
    for (;;) {
      while (self->tasks.empty() && !self->stopping) {
        ++self->idle;
        self->work.wait(lock);
        --self->idle;
      }
      if (self->tasks.empty()) break;
      auto task = std::move(self->tasks.front());
      self->tasks.pop_front();
      lock.unlock();
      try {
        task();
      } catch (const std::exception& e) {
        telemetry::emit("thread_pool:task:exception", telemetry::Level::error, {{"error", e.what()}});
      } catch (...) {
        telemetry::emit("thread_pool:task:exception", telemetry::Level::error, {{"error", "unknown exception"}});
      }
      lock.lock();
    }
    *done = true;
    --self->alive;
    self->exited.notify_all();
  }
};

ThreadPool::ThreadPool() : state_(std::make_shared<State>()) {}

ThreadPool::~ThreadPool() { shutdown(std::chrono::steady_clock::now()); }

bool ThreadPool::submit(std::function<void()> task) {
  std::lock_guard lock{state_->mutex};
  if (state_->stopping) return false;
  state_->tasks.push_back(std::move(task));
  if (state_->idle >= state_->tasks.size()) {
    state_->work.notify_one();
    return true;
  }
  try {
    // Room first, so that once the thread runs nothing can throw before it is kept.
    state_->threads.reserve(state_->threads.size() + 1);
    auto done = std::make_shared<bool>(false);
    std::thread thread{[state = state_, done] { State::loop(state, done); }};
    state_->threads.push_back({std::move(thread), std::move(done)});
  } catch (const std::exception& e) {
    // Out of threads (or memory): give the task back rather than let it wait behind busy
    // threads that may never finish.
    state_->tasks.pop_back();
    telemetry::emit("thread_pool:spawn_failed", telemetry::Level::error,
                    {{"threads", state_->threads.size()}, {"error", e.what()}});
    return false;
  }
  ++state_->alive;
  return true;
}

void ThreadPool::shutdown(std::chrono::steady_clock::time_point deadline) noexcept {
  std::unique_lock lock{state_->mutex};
  state_->stopping = true;
  state_->work.notify_all();
  state_->exited.wait_until(lock, deadline, [&] { return state_->alive == 0; });
  auto threads = std::move(state_->threads);
  state_->threads.clear();
  std::size_t detached = 0;
  std::vector<std::thread> to_join;
  for (auto& member : threads) {
    if (*member.done) {
      to_join.push_back(std::move(member.thread));
    } else {
      member.thread.detach();
      ++detached;
    }
  }
  lock.unlock();
  for (auto& thread : to_join) thread.join();
  if (detached > 0) telemetry::emit("thread_pool:abandoned", telemetry::Level::warning, {{"threads", detached}});
}

std::size_t ThreadPool::size() const {
  std::lock_guard lock{state_->mutex};
  return state_->threads.size();
}

}  // namespace oban::queue
