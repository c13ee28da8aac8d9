#pragma once
// Gathers the acks of every producer and writes them in batches: one transaction, at most
// one statement per outcome kind. A failed write is retried (transient errors without limit,
// with backoff), so no ack is lost; each ack's callback runs only after it is written,
// which is when its producer frees the job's slot.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "oban/core/loop_health.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_store.hpp"

namespace oban::queue {

struct CompleterOptions {
  std::chrono::milliseconds batch_window{2};      // how long to gather acks after the first arrives
  std::size_t max_batch = 1000;                   // acks per write at most
  std::chrono::milliseconds first_retry{50};      // backoff after a failed write, doubling...
  std::chrono::milliseconds max_retry{2000};      // ...up to this
};

class Completer {
 public:
  Completer(db::ConnectionPool& pool, const db::JobStore& store, CompleterOptions options = {});
  ~Completer();
  Completer(const Completer&) = delete;
  Completer& operator=(const Completer&) = delete;

  void start();
  // Queues an ack; `on_written` runs on the completer thread once it is in the database.
  void submit(db::JobAck ack, std::function<void()> on_written);
  // Writes what is queued (retrying until `deadline`, then logging what is lost) and stops.
  void stop(std::chrono::steady_clock::time_point deadline) noexcept;
  void stop() noexcept { stop(std::chrono::steady_clock::now() + std::chrono::seconds{5}); }
  std::size_t pending() const;
  // Acks whose write failed and is being retried (held until it succeeds), for metrics.
  std::size_t held() const;
  // The write loop's heartbeat, for the node's liveness check.
  core::LoopHealth health() const;

 private:
  struct Pending {
    db::JobAck ack;
    std::function<void()> on_written;
  };
  void run();
  void write(std::vector<Pending>& batch);
  bool write_with_retry(const std::vector<db::JobAck>& acks);
  bool give_up() const;  // stopping and past the deadline

  db::ConnectionPool& pool_;
  const db::JobStore& store_;
  const CompleterOptions options_;

  mutable std::mutex mutex_;  // guards queue_, stopping_, deadline_
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point deadline_{};
  std::atomic<std::size_t> held_{0};
  std::atomic<bool> looping_{false};
  std::atomic<bool> in_step_{false};  // writing a batch
  std::atomic<std::chrono::steady_clock::time_point> last_beat_{std::chrono::steady_clock::now()};
  std::thread thread_;
};

}  // namespace oban::queue
