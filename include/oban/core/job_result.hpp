#pragma once
// What a worker's perform returns. Outcomes are values; exceptions escaping perform are
// turned into `error` by the executor.
#include <cstdint>
#include <string>

namespace oban {

class JobResult {
 public:
  enum class Kind { ok, error, cancel, snooze, discard };

  static JobResult ok() { return JobResult{Kind::ok, {}, 0}; }
  // {:error, reason}: retryable while attempts remain, else discarded.
  static JobResult error(std::string reason) { return JobResult{Kind::error, std::move(reason), 0}; }
  // {:cancel, reason}: cancelled, with an errors entry.
  static JobResult cancel(std::string reason) { return JobResult{Kind::cancel, std::move(reason), 0}; }
  // {:snooze, seconds}: scheduled again after `seconds`; v2.23.1 adds 1 to max_attempts.
  static JobResult snooze(std::int64_t seconds) { return JobResult{Kind::snooze, {}, seconds}; }
  // :discard / {:discard, reason} (deprecated in Oban, kept for parity).
  static JobResult discard(std::string reason = {}) { return JobResult{Kind::discard, std::move(reason), 0}; }

  Kind kind() const { return kind_; }
  const std::string& reason() const { return reason_; }
  std::int64_t snooze_seconds() const { return snooze_seconds_; }

 private:
  JobResult(Kind kind, std::string reason, std::int64_t snooze)
      : kind_(kind), reason_(std::move(reason)), snooze_seconds_(snooze) {}
  Kind kind_;
  std::string reason_;
  std::int64_t snooze_seconds_;
};

}  // namespace oban
