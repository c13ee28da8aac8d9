#pragma once
// Gathers the acks of every producer and writes them in batches, each one autocommit
// statement (whatever its outcome kinds), up to `writers` batches at once, each on its own
// pooled connection. Their order does not matter: each ack is guarded, so it lands only on
// the run it belongs to. No ack is ever dropped:
// - a write that fails for want of a connection, or that the database refuses as a whole
//   for now (read-only, out of space, a timeout), is retried with backoff;
// - a batch refused for its data is split until the refused acks stand alone, so one
//   poison ack holds back no other; a refused ack is retried with backoff;
// - a write whose answer was lost (the connection went while it ran: it may have
//   committed) is resolved by reading its rows back.
// Until an ack lands it is "held": held() says how many, and "completer:held" /
// "completer:released" report the count leaving and returning to 0. Acks are guarded
// (db::JobAck), so a retry never applies one twice. Each ack's callback runs once it is
// resolved (written, or found superseded), which is when its producer may forget the row.
//
// Bound: the queue holds at most what the producers hold unacked (each max_held(limit)).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "oban/core/timer_loop.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_store.hpp"

namespace oban::queue {

struct CompleterOptions {
  std::chrono::milliseconds batch_window{2};      // how long to gather acks after the first arrives
  std::size_t max_batch = 1000;                   // acks per write at most
  std::size_t writers = 3;                        // writes in flight at once (each holds a pooled connection)
  std::chrono::milliseconds first_retry{50};      // backoff after a failed write, doubling...
  std::chrono::milliseconds max_retry{5000};      // ...up to this
};

class Completer {
 public:
  Completer(db::ConnectionPool& pool, const db::JobStore& store, CompleterOptions options = {});
  ~Completer();
  Completer(const Completer&) = delete;
  Completer& operator=(const Completer&) = delete;

  void start();
  // Queues an ack; `on_written` runs on the completer thread once it is resolved.
  void submit(db::JobAck ack, std::function<void()> on_written);
  // Writes what is queued and retries what is held until `deadline`, then reports what is
  // left ("completer:lost": those rows stay executing) and stops. Idempotent.
  void stop(std::chrono::steady_clock::time_point deadline) noexcept;
  void stop() noexcept { stop(std::chrono::steady_clock::now() + std::chrono::seconds{5}); }
  std::size_t pending() const;  // acks not resolved yet: queued, being written or held
  std::size_t held() const;     // acks whose write failed and that wait for a retry
  std::vector<core::LoopHealth> health() const;  // each writer's, for the node's liveness check

 private:
  struct Pending {
    db::JobAck ack;
    std::function<void()> on_written;
    std::chrono::steady_clock::time_point since{};     // when queued
    std::chrono::steady_clock::time_point retry_at{};  // held: when to try again
    std::chrono::milliseconds delay{0};                // held: the backoff it waited last
  };
  struct Written {
    std::vector<Pending> resolved;  // written, or superseded
    std::vector<Pending> failed;    // to hold and retry
    std::string error;              // why the last failure failed
  };
  std::chrono::steady_clock::duration step(std::size_t writer);
  void write(std::vector<Pending> batch, Written& out);
  void resolve_in_doubt(std::vector<Pending> batch, Written& out);
  void hold(std::vector<Pending> failed, const std::string& error);  // called with mutex_ held

  db::ConnectionPool& pool_;
  const db::JobStore& store_;
  const CompleterOptions options_;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable settled_;  // notified after each write, for stop()
  std::deque<Pending> queue_;        // new acks, oldest first
  std::vector<Pending> held_;        // failed acks waiting to be retried
  std::size_t writing_ = 0;          // acks in the writes in progress...
  std::size_t retrying_ = 0;         // ...of which held ones, retried
  std::vector<bool> busy_;           // per writer: writing now
  bool holding_ = false;             // "completer:held" reported, "completer:released" not yet
  bool stopping_ = false;
  std::chrono::steady_clock::time_point deadline_{};
  // Last: their threads stop before the members they use go.
  std::vector<std::unique_ptr<core::TimerLoop>> loops_;
};

}  // namespace oban::queue
