#pragma once
// A client of an Oban database that runs no queues: inserts jobs and sends Oban's signals,
// as Oban.insert/insert_all, Oban.cancel_job, Oban.retry_job, Oban.pause_queue,
// Oban.resume_queue and Oban.scale_queue do, so Elixir and C++ nodes obey it alike.
//
//   oban::Client client{{.dsn = "postgres://app@db/app"}};
//   client.insert(ResizeArgs{.image_id = 7});                 // typed args (typed_worker.hpp)
//   client.pause_queue({.queue = "media"});                   // every node
//   client.scale_queue({.queue = "media", .node = "web-1"}, 20);
//   client.cancel_job(42);                                    // and stops it where it runs
//
// A Node has one too (Node::client()), usable before the node starts. Connections open on
// first use; every method may throw what the database throws (std::exception), with the
// password redacted. One Client may be used from many threads at once.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oban/core/clock.hpp"
#include "oban/core/insert_result.hpp"
#include "oban/core/new_job.hpp"
#include "oban/typed_worker.hpp"

namespace pqxx {
class transaction_base;
}

namespace oban {

struct ClientConfig {
  std::string dsn{};              // libpq DSN or postgres:// URL
  std::string prefix = "public";  // schema holding oban_jobs
  std::size_t pool_size = 2;      // connections, opened when first needed
  std::string name = "Oban";      // the Oban instance name nodes are addressed by: "<name>.<node>"
};

// Where a queue signal applies: Oban's `queue`, `local_only` and `node` options.
struct QueueSignal {
  std::string queue{};             // a queue name, or "*" for every queue
  bool local_only = false;         // only this client's node (a Node's client, for a queue it runs)
  std::optional<std::string> node{};  // only that node, e.g. "web-1"; neither: every node
};

struct ClientAccess;

class Client {
 public:
  explicit Client(ClientConfig config, const Clock& clock = SystemClock::instance());
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // One job, committed, then the insert notification. Throws std::invalid_argument listing
  // every problem of an invalid job; nothing is written then.
  InsertResult insert(const NewJob& job);
  // A job for typed args with their worker's defaults (oban::new_job).
  template <JobArgs A>
  InsertResult insert(const A& args) {
    return insert(new_job(args));
  }
  // Many jobs in one transaction, with per-job semantics (uniqueness included).
  std::vector<InsertResult> insert_all(const std::vector<NewJob>& jobs);
  // The same inside the caller's transaction (include <pqxx/pqxx>): the jobs and their
  // insert notifications commit, or roll back, with it.
  InsertResult insert(pqxx::transaction_base& tx, const NewJob& job);
  std::vector<InsertResult> insert_all(pqxx::transaction_base& tx, const std::vector<NewJob>& jobs);

  // Signals, with Oban's payloads. Throws std::invalid_argument for an empty queue, a
  // non-positive limit, local_only together with node, or local_only for a queue that does
  // not run on this client's node (Oban: "queue ... does not exist locally").
  void pause_queue(const QueueSignal& target);
  void resume_queue(const QueueSignal& target);
  void scale_queue(const QueueSignal& target, int limit);

  // Oban.cancel_job: an available, scheduled, retryable, suspended or executing job becomes
  // cancelled; an executing one is also stopped where it runs (a pkill signal, in the same
  // transaction). Returns whether the job was cancelled (false: no such job, or finished).
  bool cancel_job(std::int64_t id);
  // The same for many jobs in one statement; returns the ids cancelled.
  std::vector<std::int64_t> cancel_jobs(const std::vector<std::int64_t>& ids);
  // Oban.retry_job: any job not available or executing becomes available now, with one more
  // attempt when it had none left. Returns whether the job changed.
  bool retry_job(std::int64_t id);
  std::vector<std::int64_t> retry_jobs(const std::vector<std::int64_t>& ids);

  const std::string& prefix() const;

 private:
  friend struct ClientAccess;
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace oban
