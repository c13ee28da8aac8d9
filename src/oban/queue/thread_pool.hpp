#pragma once
// Threads that run perform. The pool grows whenever every thread is busy, so a job that
// overruns its timeout or ignores a pkill never delays other jobs; idle threads are kept.
#include <chrono>
#include <functional>
#include <memory>

namespace oban::queue {

class ThreadPool {
 public:
  ThreadPool();
  ~ThreadPool();  // shutdown(now)
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Runs `task` on an idle thread, or a new one. False (and `task` dropped) when no thread
  // could be had: the caller still owns the work. Never throws for lack of threads.
  bool submit(std::function<void()> task);
  // Runs what is queued, waits until `deadline` for threads to finish, then detaches the
  // ones still stuck in a task (they hold only what their task owns). Idempotent.
  void shutdown(std::chrono::steady_clock::time_point deadline) noexcept;
  std::size_t size() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace oban::queue
