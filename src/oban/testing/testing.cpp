#include "oban/testing/testing.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include <pqxx/pqxx>

#include "oban/client/client_access.hpp"
#include "oban/db/job_control.hpp"
#include "oban/insert/validate_job.hpp"
#include "oban/json/json_value.hpp"
#include "oban/queue/executor.hpp"

namespace oban::testing {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollEvery{10};  // Oban.Testing's @wait_interval
constexpr std::size_t kListedJobs = 20;              // jobs a failure message lists

std::int64_t next_job_id() {
  static std::atomic<std::int64_t> last{0};
  return ++last;
}

// Oban.Testing.build_job: the worker's new/2 with the options, checked like the changeset.
Job build_job(const Worker& worker, const Value::Object& args, const PerformOptions& options, Timestamp now) {
  const WorkerOptions defaults = worker.options();
  NewJob candidate;
  candidate.worker = worker.name();
  candidate.queue = options.queue.value_or(defaults.queue);
  candidate.args = json::write(args);
  candidate.meta = json::write(options.meta);
  candidate.max_attempts = options.max_attempts.value_or(defaults.max_attempts);
  candidate.priority = options.priority.value_or(defaults.priority);
  candidate.tags = options.tags.empty() ? defaults.tags : options.tags;
  std::string problems;
  for (const auto& problem : insert::validate(candidate)) problems += "; " + problem;
  if (options.attempt < 1) problems += "; attempt must be at least 1";
  if (!problems.empty()) throw std::invalid_argument("invalid job for perform_job: " + problems.substr(2));
  Job job;
  job.id = next_job_id();
  job.state = JobState::executing;
  job.queue = candidate.queue;
  job.worker = candidate.worker;
  job.args = candidate.args;
  job.meta = candidate.meta;
  job.tags = normalize_tags(candidate.tags);
  job.attempt = options.attempt;
  job.max_attempts = candidate.max_attempts;
  job.priority = *candidate.priority;
  job.attempted_by = options.attempted_by;
  job.inserted_at = job.scheduled_at = now;
  job.attempted_at = now;
  return job;
}

JobResult::Kind returned_kind(queue::Execution::Kind kind) {
  switch (kind) {
    case queue::Execution::Kind::success: return JobResult::Kind::ok;
    case queue::Execution::Kind::failure: return JobResult::Kind::error;
    case queue::Execution::Kind::cancel: return JobResult::Kind::cancel;
    case queue::Execution::Kind::snooze: return JobResult::Kind::snooze;
    case queue::Execution::Kind::discard: return JobResult::Kind::discard;
    // The database failed under perform, or the attempt ended first: an error either way.
    case queue::Execution::Kind::infrastructure:
    case queue::Execution::Kind::superseded: return JobResult::Kind::error;
  }
  return JobResult::Kind::error;
}

JobState state_after(db::AckKind kind) {
  switch (kind) {
    case db::AckKind::complete: return JobState::completed;
    case db::AckKind::error: return JobState::retryable;
    case db::AckKind::discard: return JobState::discarded;
    case db::AckKind::snooze: return JobState::scheduled;
    case db::AckKind::cancel: return JobState::cancelled;
    case db::AckKind::release: return JobState::available;
  }
  return JobState::retryable;
}

// Requests `stop` when `deadline` passes, unless disarmed first.
class Watchdog {
 public:
  Watchdog(std::stop_source stop, SteadyClock::time_point deadline)
      : thread_([this, stop, deadline](std::stop_token disarmed) mutable {
          std::unique_lock lock{mutex_};
          if (!cv_.wait_until(lock, disarmed, deadline, [] { return false; }) && !disarmed.stop_requested()) {
            stop.request_stop();
          }
        }) {}

 private:
  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::jthread thread_;  // last: started after the members it uses; joined first
};

bool is_number(const Value& value) { return value.if_integer() || value.if_number(); }

double as_double(const Value& value) {
  if (const auto* i = value.if_integer()) return static_cast<double>(*i);
  return *value.if_number();
}

// Elixir's ==: 1 == 1.0, lists and maps element by element.
bool loosely_equal(const Value& a, const Value& b) {
  if (is_number(a) && is_number(b)) return as_double(a) == as_double(b);
  if (const auto* list = a.if_array()) {
    const auto* other = b.if_array();
    if (!other || other->size() != list->size()) return false;
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (!loosely_equal((*list)[i], (*other)[i])) return false;
    }
    return true;
  }
  if (const auto* map = a.if_object()) {
    const auto* other = b.if_object();
    if (!other || other->size() != map->size()) return false;
    for (const auto& [key, item] : *map) {
      const auto found = other->find(key);
      if (found == other->end() || !loosely_equal(item, found->second)) return false;
    }
    return true;
  }
  return a == b;
}

Value parsed_or_null(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const std::invalid_argument&) {
    return Value{};
  }
}

bool matches(const Job& job, const JobFilter& filter) {
  if (filter.worker && job.worker != *filter.worker) return false;
  if (filter.queue && job.queue != *filter.queue) return false;
  if (filter.state && job.state != *filter.state) return false;
  if (filter.priority && job.priority != *filter.priority) return false;
  if (filter.max_attempts && job.max_attempts != *filter.max_attempts) return false;
  if (filter.tags && job.tags != *filter.tags) return false;
  if (filter.scheduled_at) {
    const auto gap = job.scheduled_at > *filter.scheduled_at ? job.scheduled_at - *filter.scheduled_at
                                                             : *filter.scheduled_at - job.scheduled_at;
    if (gap > filter.delta) return false;
  }
  if (filter.args && !contains(parsed_or_null(job.args), *filter.args)) return false;
  if (filter.meta && !contains(parsed_or_null(job.meta), *filter.meta)) return false;
  return true;
}

std::string describe(const JobFilter& filter) {
  Value::Object fields;
  if (filter.worker) fields["worker"] = *filter.worker;
  if (filter.queue) fields["queue"] = *filter.queue;
  if (filter.args) fields["args"] = *filter.args;
  if (filter.meta) fields["meta"] = *filter.meta;
  if (filter.state) fields["state"] = std::string{to_string(*filter.state)};
  if (filter.priority) fields["priority"] = *filter.priority;
  if (filter.max_attempts) fields["max_attempts"] = *filter.max_attempts;
  if (filter.tags) fields["tags"] = *filter.tags;
  if (filter.scheduled_at) {
    fields["scheduled_at"] = format_iso8601(*filter.scheduled_at);
    fields["delta_seconds"] = static_cast<std::int64_t>(filter.delta.count());
  }
  return json::write(fields);
}

std::string describe(const std::vector<Job>& jobs) {
  if (jobs.empty()) return "  (none)\n";
  std::string out;
  for (std::size_t i = 0; i < jobs.size() && i < kListedJobs; ++i) {
    const auto& job = jobs[i];
    out += "  id " + std::to_string(job.id) + " " + job.worker + " queue " + job.queue + " " +
           std::string{to_string(job.state)} + " priority " + std::to_string(job.priority) + " args " + job.args +
           " meta " + job.meta + "\n";
  }
  if (jobs.size() > kListedJobs) out += "  ... and " + std::to_string(jobs.size() - kListedJobs) + " more\n";
  return out;
}

std::vector<Job> candidates(const Client& client, const JobFilter& filter) {
  auto lease = ClientAccess::pool(client).acquire();
  pqxx::read_transaction tx{*lease};
  return db::enqueued_jobs(tx, client.prefix(), filter.worker, filter.queue);
}

std::vector<Job> only_matching(std::vector<Job> jobs, const JobFilter& filter) {
  std::erase_if(jobs, [&](const Job& job) { return !matches(job, filter); });
  return jobs;
}

}  // namespace

bool contains(const Value& actual, const Value& expected) {
  if (const auto* wildcard = expected.if_string(); wildcard && *wildcard == "_") return true;
  if (const auto* wanted = expected.if_object()) {
    const auto* object = actual.if_object();
    if (!object) return false;
    for (const auto& [key, item] : *wanted) {
      const auto found = object->find(key);
      if (found == object->end() || !contains(found->second, item)) return false;
    }
    return true;
  }
  return loosely_equal(actual, expected);
}

PerformResult perform_job(Worker& worker, const Value::Object& args, const PerformOptions& options) {
  const Timestamp now = SystemClock::instance().now();
  PerformResult result;
  result.job = build_job(worker, args, options, now);
  const std::shared_ptr<Worker> unowned{std::shared_ptr<Worker>{}, &worker};
  const auto timeout = worker.timeout(result.job);
  std::stop_source stop;
  const auto started = SteadyClock::now();
  queue::Execution execution;
  {
    std::optional<Watchdog> watchdog;
    if (timeout.count() > 0) watchdog.emplace(stop, started + timeout);
    execution = queue::Executor::run(result.job, unowned, stop.get_token());
  }
  result.duration = SteadyClock::now() - started;
  result.returned = returned_kind(execution.kind);
  // The node acks a timeout at the deadline, whatever perform returns afterwards.
  if (timeout.count() > 0 && result.duration >= timeout) {
    result.timed_out = true;
    result.returned = JobResult::Kind::error;
    execution = queue::timeout_execution(result.job, timeout.count());
  }
  const auto ack = queue::Executor::to_ack(result.job, execution, SystemClock::instance().now());
  result.state = state_after(ack.kind);
  result.error = execution.error;
  if (ack.kind == db::AckKind::error || ack.kind == db::AckKind::snooze) result.scheduled_at = ack.scheduled_at;
  result.max_attempts = result.job.max_attempts + (ack.kind == db::AckKind::snooze ? 1 : 0);
  return result;
}

std::vector<Job> all_enqueued(const Client& client, const JobFilter& filter) {
  return only_matching(candidates(client, filter), filter);
}

void assert_enqueued(const Client& client, const JobFilter& filter, std::chrono::milliseconds within) {
  const auto deadline = SteadyClock::now() + within;
  for (;;) {
    auto found = candidates(client, filter);
    if (!only_matching(found, filter).empty()) return;
    if (SteadyClock::now() >= deadline) {
      throw AssertionFailure("expected a job matching " + describe(filter) + " to be enqueued in \"" +
                             client.prefix() + "\"" +
                             (within.count() > 0 ? " within " + std::to_string(within.count()) + " ms" : "") +
                             "; enqueued jobs" + (filter.worker || filter.queue ? " of that worker and queue" : "") +
                             ":\n" + describe(found));
    }
    std::this_thread::sleep_for(kPollEvery);
  }
}

void refute_enqueued(const Client& client, const JobFilter& filter, std::chrono::milliseconds within) {
  const auto deadline = SteadyClock::now() + within;
  for (;;) {
    auto matching = all_enqueued(client, filter);
    if (!matching.empty()) {
      throw AssertionFailure("expected no job matching " + describe(filter) + " to be enqueued in \"" +
                             client.prefix() + "\"; found:\n" + describe(matching));
    }
    if (SteadyClock::now() >= deadline) return;
    std::this_thread::sleep_for(kPollEvery);
  }
}

}  // namespace oban::testing
