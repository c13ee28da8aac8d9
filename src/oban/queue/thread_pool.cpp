#include "oban/queue/thread_pool.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "oban/core/telemetry.hpp"

namespace oban::queue {

// Wakeups: a burst of short tasks (a fetch's worth of quick jobs) is taken by the few
// threads already awake instead of waking one thread per task. At most one sleeping thread
// is on its way at a time (`ready`); the thread that takes a task wakes the next sleeper if
// tasks remain and none is on its way, so long tasks still each get a thread of their own,
// one wakeup apart. submit() makes sure there is a thread for every queued task (sleeping,
// on its way, or new), so the chain never runs out of threads.
struct ThreadPool::State {
  std::mutex mutex;  // guards everything below
  std::condition_variable work;
  std::condition_variable exited;
  std::deque<std::function<void()>> tasks;
  std::size_t idle = 0;   // threads asleep, waiting for a task
  std::size_t ready = 0;  // threads awake (woken or new) that have not yet looked for a task
  std::size_t alive = 0;
  bool stopping = false;
  struct Member {
    std::thread thread;
    std::shared_ptr<bool> done;  // guarded by mutex
  };
  std::vector<Member> threads;

  void wake_one() {  // with mutex held, idle > 0
    ++ready;
    work.notify_one();
  }

  static void loop(const std::shared_ptr<State>& self, const std::shared_ptr<bool>& done) {
    std::unique_lock lock{self->mutex};
    if (self->ready > 0) --self->ready;  // a new thread is here
    for (;;) {
      if (self->tasks.empty()) {
        if (self->stopping) break;
        ++self->idle;
        self->work.wait(lock);
        --self->idle;
        if (self->ready > 0) --self->ready;
        continue;
      }
      auto task = std::move(self->tasks.front());
      self->tasks.pop_front();
      if (!self->tasks.empty() && self->ready == 0 && self->idle > 0) self->wake_one();
      lock.unlock();
      try {
        task();
      } catch (const std::exception& e) {
        telemetry::emit("thread_pool:task:exception", telemetry::Level::error, {{"error", e.what()}});
      } catch (...) {
        telemetry::emit("thread_pool:task:exception", telemetry::Level::error, {{"error", "unknown exception"}});
      }
      task = nullptr;  // what it holds goes before the next wait
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
  if (state_->tasks.size() <= state_->idle + state_->ready) {
    // A thread for it exists; wake one unless one is on its way already.
    if (state_->ready == 0) state_->wake_one();
    return true;
  }
  try {
    // Room first, so that once the thread runs nothing can throw before it is kept.
    state_->threads.reserve(state_->threads.size() + 1);
    auto done = std::make_shared<bool>(false);
    ++state_->ready;
    std::thread thread{[state = state_, done] { State::loop(state, done); }};
    state_->threads.push_back({std::move(thread), std::move(done)});
  } catch (const std::exception& e) {
    // Out of threads (or memory): give the task back rather than let it wait behind busy
    // threads that may never finish.
    --state_->ready;
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
