#pragma once
// The worker API: register C++ workers under their Oban names.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "oban/core/job.hpp"
#include "oban/core/job_result.hpp"
#include "oban/core/new_job.hpp"
#include "oban/core/unique_options.hpp"
#include "oban/json/json_object.hpp"

namespace oban {

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
