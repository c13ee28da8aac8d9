#pragma once
// Typed workers: perform receives the args decoded into the worker's own struct.
//
// The args struct names its Oban worker and may declare the worker's defaults, so code that
// only inserts jobs (for a C++ or an Elixir worker) needs the args type and nothing else:
//
//   struct ResizeArgs {
//     static constexpr std::string_view kWorker = "MyApp.Workers.Resize";
//     static oban::WorkerOptions options() { return {.queue = "media", .max_attempts = 5}; }
//     std::int64_t image_id = 0;
//     std::vector<int> sizes;
//     static constexpr auto fields() { ... }  // core/args.hpp
//   };
//
//   class ResizeWorker {
//    public:
//     using Args = ResizeArgs;
//     oban::JobResult perform(const ResizeArgs& args, oban::JobContext& context);
//     // Optional, both Oban's callbacks with the args at hand:
//     std::chrono::milliseconds timeout(const ResizeArgs& args, const oban::Job& job) const;
//     std::int64_t backoff(const ResizeArgs& args, const oban::Job& job) const;
//   };
//
//   oban::add_worker(registry, std::make_shared<ResizeWorker>());
//   client.insert(ResizeArgs{.image_id = 7, .sizes = {64, 128}});
//
// Args that do not fit the struct cancel the job at once (retrying cannot change them), with
// the decoding error as the reason: `{:cancel, "invalid args: args.sizes[1]: expected an
// integer, got a string"}` in the errors entry, as Oban Web shows it.
#include <concepts>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "oban/core/args.hpp"
#include "oban/json/json_value.hpp"
#include "oban/worker.hpp"

namespace oban {

// Args of one Oban worker: a field list and the worker's name (River's Kind()).
template <class A>
concept JobArgs = ArgsStruct<A> && requires {
  { A::kWorker } -> std::convertible_to<std::string_view>;
};

// A class with `using Args = ...;` and `JobResult perform(const Args&, JobContext&)`.
template <class W>
concept TypedWorker = JobArgs<typename W::Args> && requires(W& worker, const typename W::Args& args,
                                                             JobContext& context) {
  { worker.perform(args, context) } -> std::same_as<JobResult>;
};

// The worker defaults declared by A::options(), or Oban's defaults.
template <JobArgs A>
WorkerOptions options_of() {
  if constexpr (requires { { A::options() } -> std::convertible_to<WorkerOptions>; }) {
    return A::options();
  } else {
    return WorkerOptions{};
  }
}

// Oban's Worker.new/2: a job for `args` with its worker's defaults (queue, max_attempts,
// priority, tags, unique). Adjust the returned NewJob for anything else (scheduled_at, meta).
template <JobArgs A>
NewJob new_job(const A& args) {
  const WorkerOptions options = options_of<A>();
  NewJob job;
  job.worker = std::string{A::kWorker};
  job.queue = options.queue;
  job.args = json::write(encode_args(args));
  job.max_attempts = options.max_attempts;
  if (options.priority != 0) job.priority = options.priority;
  job.tags = options.tags;
  job.unique = options.unique;
  return job;
}

// Runs a TypedWorker as a Worker: decodes the args, then calls it.
template <TypedWorker W>
class TypedWorkerAdapter final : public Worker {
 public:
  using Args = typename W::Args;

  explicit TypedWorkerAdapter(std::shared_ptr<W> worker) : worker_(std::move(worker)) {
    if (!worker_) throw std::invalid_argument("cannot register a null worker");
  }

  std::string name() const override { return std::string{Args::kWorker}; }
  WorkerOptions options() const override { return options_of<Args>(); }

  JobResult perform(JobContext& context) override {
    Args args;
    try {
      args = decode_args<Args>(context.args.value());
    } catch (const ArgsError& error) {
      return JobResult::cancel(std::string{"invalid args: "} + error.what());
    }
    return worker_->perform(args, context);
  }

  std::int64_t backoff(const Job& job) const override {
    if constexpr (requires(const W& w, const Args& a) {
                    { w.backoff(a, std::declval<const Job&>()) } -> std::convertible_to<std::int64_t>;
                  }) {
      if (auto args = try_decode(job)) return worker_->backoff(*args, job);
    }
    return Worker::backoff(job);
  }

  std::chrono::milliseconds timeout(const Job& job) const override {
    if constexpr (requires(const W& w, const Args& a) {
                    { w.timeout(a, std::declval<const Job&>()) } -> std::convertible_to<std::chrono::milliseconds>;
                  }) {
      // Args that do not decode get the default: perform cancels such a job at once.
      if (auto args = try_decode(job)) return worker_->timeout(*args, job);
    }
    return Worker::timeout(job);
  }

  W& worker() const { return *worker_; }

 private:
  static std::optional<Args> try_decode(const Job& job) {
    try {
      return decode_args<Args>(json::parse(job.args));
    } catch (const std::invalid_argument&) {  // ArgsError, or args that are not JSON
      return std::nullopt;
    }
  }

  std::shared_ptr<W> worker_;
};

// Registers a typed worker under Args::kWorker (River's AddWorker). Throws
// std::invalid_argument for a name already registered. Returns the worker.
template <TypedWorker W>
std::shared_ptr<W> add_worker(WorkerRegistry& registry, std::shared_ptr<W> worker) {
  registry.add(std::make_shared<TypedWorkerAdapter<W>>(worker));
  return worker;
}

}  // namespace oban
