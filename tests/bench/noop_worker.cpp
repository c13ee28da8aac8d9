#include "noop_worker.hpp"

#include "bench_db.hpp"

namespace bench {

NoopWorker::NoopWorker(std::int64_t first_id, std::int64_t count)
    : first_id_(first_id), seen_(std::make_unique<std::atomic<std::uint8_t>[]>(static_cast<std::size_t>(count))),
      count_(count) {
  for (std::int64_t i = 0; i < count; ++i) seen_[static_cast<std::size_t>(i)].store(0);
}

std::string NoopWorker::name() const { return kNoopWorker; }

oban::JobResult NoopWorker::perform(oban::JobContext& context) {
  const auto started = std::chrono::steady_clock::now();
  const auto slot = context.job.id - first_id_;
  if (slot >= 0 && slot < count_ && seen_[static_cast<std::size_t>(slot)].fetch_add(1) > 0) ++double_runs_;
  ++runs_;
  if (hook_) hook_(context.job, started);
  return oban::JobResult::ok();
}

}  // namespace bench
