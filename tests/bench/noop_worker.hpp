#pragma once
// The benchmark worker: does nothing, counts runs, notices a job run twice, and can
// report when each job starts (latency).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "oban/worker.hpp"

namespace bench {

class NoopWorker final : public oban::Worker {
 public:
  using StartHook = std::function<void(const oban::Job&, std::chrono::steady_clock::time_point)>;

  // Ids first_id .. first_id + count - 1 are tracked for double runs; others only counted.
  explicit NoopWorker(std::int64_t first_id = 0, std::int64_t count = 0);
  std::string name() const override;
  oban::JobResult perform(oban::JobContext& context) override;

  void on_start(StartHook hook) { hook_ = std::move(hook); }
  std::int64_t runs() const { return runs_.load(); }
  std::int64_t double_runs() const { return double_runs_.load(); }

 private:
  std::int64_t first_id_;
  std::unique_ptr<std::atomic<std::uint8_t>[]> seen_;
  std::int64_t count_;
  std::atomic<std::int64_t> runs_{0};
  std::atomic<std::int64_t> double_runs_{0};
  StartHook hook_;
};

}  // namespace bench
