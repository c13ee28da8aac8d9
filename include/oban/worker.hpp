#pragma once
// The worker API: register C++ workers under their Oban names.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "oban/core/job.hpp"
#include "oban/core/job_result.hpp"
#include "oban/core/new_job.hpp"
#include "oban/core/unique_options.hpp"
#include "oban/json/json_object.hpp"

namespace pqxx {
class connection_base;
class transaction_base;
}  // namespace pqxx

namespace oban {

// Thrown by JobContext::transaction when this run's attempt is over before its writes could
// commit: the job was cancelled (Oban.cancel_job/1, a pkill), timed out, rescued, or given
// up at shutdown. Nothing was committed. Let it escape perform: the run then writes no ack.
class AttemptEnded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How JobContext::transaction reaches the engine; the engine implements it per run.
class TransactionalAck {
 public:
  virtual ~TransactionalAck() = default;
  virtual JobResult commit(pqxx::connection_base& conn,
                           const std::function<JobResult(pqxx::transaction_base&)>& writes) = 0;
};

// A worker's defaults, as `use Oban.Worker, ...` declares them.
struct WorkerOptions {
  std::string queue = "default";            // queue its jobs go to
  int max_attempts = 20;                     // attempts before discarding
  int priority = 0;                          // 0 (highest) .. 9
  std::vector<std::string> tags{};           // default tags
  std::optional<UniqueOptions> unique{};     // default uniqueness, none by default
  std::chrono::milliseconds timeout{0};      // 0 = :infinity
};

// What perform receives.
struct JobContext {
  const Job& job;                 // the row as fetched (attempt already incremented)
  const json::JsonObject& args;   // job.args parsed by simdjson
  std::stop_token stop;           // requested on pkill, timeout or shutdown: stop early if you can
  TransactionalAck* ack = nullptr;  // set by the engine (null when a test calls perform itself)

  // The job's database writes and its ack in one transaction, as River's JobCompleteTx:
  // runs `writes` in a transaction on `conn` (any connection to the job's database), then
  // in the same transaction locks the job's row (SELECT ... FOR UPDATE), checks that it is
  // still `executing` under this attempt, writes the ack for the result `writes` returned
  // (any outcome: ok, error, cancel, snooze, discard) and commits. So a job cancelled,
  // timed out or rescued while it ran commits none of its writes: the row is checked last,
  // so a cancel that lands while `writes` runs still wins.
  //
  // Returns what `writes` returned; return it from perform (the ack is already written,
  // whatever perform returns afterwards). Throws AttemptEnded when the attempt is over
  // (nothing committed), rethrows what `writes` throws (nothing committed), and when the
  // connection is lost during COMMIT reads the row back: committed, it returns normally;
  // not, it throws db::ConnectionError, an infrastructure failure that does not count the
  // attempt. With no engine (ack null) the writes are simply committed.
  JobResult transaction(pqxx::connection_base& conn,
                        const std::function<JobResult(pqxx::transaction_base&)>& writes) const;
};

class Worker {
 public:
  virtual ~Worker() = default;
  // The Oban worker name, e.g. "Rindle.Workers.MuxSyncProviderAsset".
  virtual std::string name() const = 0;
  virtual WorkerOptions options() const { return {}; }
  virtual JobResult perform(JobContext& context) = 0;
  // Seconds until the next attempt after a failure. Default: Oban's default backoff.
  virtual std::int64_t backoff(const Job& job) const;
  // How long this job may run (Oban's timeout/1); 0 means no limit. Default: options().timeout.
  virtual std::chrono::milliseconds timeout(const Job& job) const;
};

// The workers a node can run, by Oban name.
class WorkerRegistry {
 public:
  // Throws std::invalid_argument for a null worker or a name already registered (a second
  // worker under one Oban name would silently take the first one's jobs).
  void add(std::shared_ptr<Worker> worker);
  std::shared_ptr<Worker> find(std::string_view name) const;
  std::vector<std::string> names() const;
  bool empty() const { return workers_.empty(); }
  // A NewJob for `worker_name` carrying that worker's defaults (queue, max_attempts,
  // priority, tags, unique). Throws std::invalid_argument for an unknown worker.
  NewJob new_job(std::string_view worker_name, std::string args_json = "{}") const;
  NewJob new_job(std::string_view worker_name, const Value::Object& args) const;

 private:
  std::map<std::string, std::shared_ptr<Worker>, std::less<>> workers_;
};

}  // namespace oban
