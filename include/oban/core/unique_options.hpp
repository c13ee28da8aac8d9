#pragma once
// Oban's `unique` job options (Basic engine semantics, oban-protocol.md section 4).
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oban/core/job_state.hpp"

namespace oban {

enum class UniqueField { args, meta, queue, worker };
enum class UniqueTimestamp { inserted_at, scheduled_at };
// Fields a `replace` entry may overwrite on the conflicting row.
enum class ReplaceField { args, max_attempts, meta, priority, queue, scheduled_at, tags, worker };

namespace unique_states {
std::vector<JobState> all();
std::vector<JobState> incomplete();
std::vector<JobState> scheduled();
std::vector<JobState> successful();  // the default group in 2.23.1
}  // namespace unique_states

struct UniqueOptions {
  // Which of the new job's values must match. Default [args, queue, worker].
  std::vector<UniqueField> fields{UniqueField::args, UniqueField::queue, UniqueField::worker};
  // Top-level keys of args/meta compared by containment; empty means whole-map equality.
  std::vector<std::string> keys{};
  // Look-back window; nullopt means :infinity. Default 60 s.
  std::optional<std::chrono::seconds> period{std::chrono::seconds{60}};
  // States a matching row may be in. Default the :successful group.
  std::vector<JobState> states = unique_states::successful();
  // Which timestamp the period is measured on. Default inserted_at.
  UniqueTimestamp timestamp = UniqueTimestamp::inserted_at;
  // Per state of the conflicting row: fields to overwrite from the new job.
  std::map<JobState, std::vector<ReplaceField>> replace{};

  // `unique: true` in Elixir: period :infinity, other defaults.
  static UniqueOptions infinite();
};

}  // namespace oban
