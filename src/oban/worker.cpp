#include "oban/worker.hpp"

#include <stdexcept>

#include "oban/core/backoff.hpp"
#include "oban/json/json_value.hpp"

namespace oban {

std::int64_t Worker::backoff(const Job& job) const { return default_backoff(job.attempt, job.max_attempts); }

std::chrono::milliseconds Worker::timeout(const Job&) const { return options().timeout; }

void WorkerRegistry::add(std::shared_ptr<Worker> worker) {
  if (!worker) throw std::invalid_argument("cannot register a null worker");
  auto name = worker->name();
  if (workers_.count(name) > 0) throw std::invalid_argument("worker " + name + " is already registered");
  workers_[std::move(name)] = std::move(worker);
}

std::shared_ptr<Worker> WorkerRegistry::find(std::string_view name) const {
  auto found = workers_.find(name);
  return found == workers_.end() ? nullptr : found->second;
}

std::vector<std::string> WorkerRegistry::names() const {
  std::vector<std::string> result;
  for (const auto& [name, worker] : workers_) result.push_back(name);
  return result;
}

NewJob WorkerRegistry::new_job(std::string_view worker_name, std::string args_json) const {
  auto worker = find(worker_name);
  if (!worker) throw std::invalid_argument("unknown worker: " + std::string{worker_name});
  const WorkerOptions options = worker->options();
  NewJob job;
  job.worker = std::string{worker_name};
  job.queue = options.queue;
  job.args = std::move(args_json);
  job.max_attempts = options.max_attempts;
  if (options.priority != 0) job.priority = options.priority;
  job.tags = options.tags;
  job.unique = options.unique;
  return job;
}

NewJob WorkerRegistry::new_job(std::string_view worker_name, const Value::Object& args) const {
  return new_job(worker_name, json::write(args));
}

}  // namespace oban
