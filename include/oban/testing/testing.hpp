#pragma once
// Helpers for testing workers and the code that enqueues jobs, in the spirit of
// Oban.Testing: perform_job runs a worker through the node's real executor without a queue,
// and all_enqueued / assert_enqueued / refute_enqueued look at what a Client's database
// holds. They work with any test framework: assertions throw AssertionFailure, whose
// message says what was expected and what was found.
//
//   auto result = oban::testing::perform_job(worker, ResizeArgs{.image_id = 7});
//   CHECK(result.state == oban::JobState::completed);
//
//   oban::testing::assert_enqueued(client, {.worker = "MyApp.Mailer", .args = Value::Object{{"to", "a@b"}}});
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "oban/client/client.hpp"
#include "oban/core/job.hpp"
#include "oban/core/job_result.hpp"
#include "oban/core/value.hpp"
#include "oban/typed_worker.hpp"
#include "oban/worker.hpp"

namespace oban::testing {

// A failed assert_enqueued / refute_enqueued.
class AssertionFailure : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// The job perform_job builds, as Oban.Testing.build_job does: the worker's defaults, then
// these. A unique positive id, attempted/scheduled/inserted now.
struct PerformOptions {
  int attempt = 1;
  std::optional<int> max_attempts{}; // default: the worker's
  std::optional<std::string> queue{};  // default: the worker's
  std::optional<int> priority{};       // default: the worker's
  std::vector<std::string> tags{};     // default: the worker's
  Value::Object meta{};
  std::vector<std::string> attempted_by{"test-node", "00000000-0000-4000-8000-000000000000"};
};

// What perform returned and the ack a node would write for it.
struct PerformResult {
  Job job{};                       // the job perform saw
  JobResult::Kind returned{};      // what perform returned (an exception counts as error)
  JobState state{};                // the row's state after that ack: completed, retryable,
                                   // discarded, cancelled, or scheduled (a snooze)
  std::string error{};             // the errors entry text, e.g. "** (RuntimeError) boom"; empty if none
  std::optional<Timestamp> scheduled_at{}; // retryable: the next attempt; snooze: when it runs again
  int max_attempts = 0;            // after the ack (a snooze adds one, as Oban 2.23.1 does)
  bool timed_out = false;          // perform outlasted timeout(job): the node acks a timeout error
  std::chrono::nanoseconds duration{0};
};

// Runs `worker` on the calling thread through the node's executor with a job for `args`
// (a JSON object). When timeout(job) is set and perform outlasts it, the stop token is
// requested at the deadline and the result is the timeout error the node would record.
// Throws std::invalid_argument when the job would not be valid (as Oban's changeset).
PerformResult perform_job(Worker& worker, const Value::Object& args, const PerformOptions& options = {});

// A typed worker with typed args (encoded, then decoded again as a fetched job's would be).
template <TypedWorker W>
PerformResult perform_job(W& worker, const typename W::Args& args, const PerformOptions& options = {}) {
  TypedWorkerAdapter<W> adapter{std::shared_ptr<W>(std::shared_ptr<W>{}, &worker)};
  return perform_job(adapter, encode_args(args), options);
}

// A typed worker with raw args, e.g. ones that do not fit its struct.
template <TypedWorker W>
PerformResult perform_job(W& worker, const Value::Object& args, const PerformOptions& options = {}) {
  TypedWorkerAdapter<W> adapter{std::shared_ptr<W>(std::shared_ptr<W>{}, &worker)};
  return perform_job(static_cast<Worker&>(adapter), args, options);
}

// Which enqueued (available, scheduled or suspended) jobs match: every field given must
// match; args and meta match when they contain the given keys with equal values (nested
// objects likewise; the string "_" matches any value; 1 equals 1.0, as in Elixir).
struct JobFilter {
  std::optional<std::string> worker{};
  std::optional<std::string> queue{};
  std::optional<Value::Object> args{};
  std::optional<Value::Object> meta{};
  std::optional<JobState> state{};
  std::optional<int> priority{};
  std::optional<int> max_attempts{};
  std::optional<std::vector<std::string>> tags{};
  std::optional<Timestamp> scheduled_at{};       // within `delta` either side
  std::chrono::seconds delta{1};

  // Jobs of A's worker whose args contain `args` (River's RequireInserted).
  template <JobArgs A>
  static JobFilter of(const A& args) {
    JobFilter filter;
    filter.worker = std::string{A::kWorker};
    filter.args = encode_args(args);
    return filter;
  }
};

// Matching jobs, newest first.
std::vector<Job> all_enqueued(const Client& client, const JobFilter& filter = {});

// Throws AssertionFailure unless a matching job is enqueued, or becomes so within `within`
// (checked every 10 ms, as Oban's assert_enqueued/2).
void assert_enqueued(const Client& client, const JobFilter& filter,
                     std::chrono::milliseconds within = std::chrono::milliseconds{0});

// Throws AssertionFailure if a matching job is enqueued, or becomes so within `within`.
void refute_enqueued(const Client& client, const JobFilter& filter,
                     std::chrono::milliseconds within = std::chrono::milliseconds{0});

// Whether `actual` contains `expected` by the rules above (exposed for custom checks).
bool contains(const Value& actual, const Value& expected);

}  // namespace oban::testing
