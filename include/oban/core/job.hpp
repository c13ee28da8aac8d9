#pragma once
// One `oban_jobs` row as read back from PostgreSQL.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oban/core/job_state.hpp"
#include "oban/core/timestamp.hpp"

namespace oban {

struct Job {
  std::int64_t id = 0;  // 0 when nothing was persisted (a unique insert that lost its lock)
  JobState state = JobState::available;
  std::string queue = "default";
  std::string worker{};
  std::string args = "{}";               // JSON object text, as jsonb prints it
  std::string meta = "{}";               // JSON object text
  std::vector<std::string> tags{};
  std::vector<std::string> errors{};     // each a JSON object text {at, attempt, error}
  int attempt = 0;
  int max_attempts = 20;
  int priority = 0;
  std::vector<std::string> attempted_by{}; // [node, producer uuid], or empty
  Timestamp inserted_at{};
  Timestamp scheduled_at{};
  std::optional<Timestamp> attempted_at{};
  std::optional<Timestamp> completed_at{};
  std::optional<Timestamp> discarded_at{};
  std::optional<Timestamp> cancelled_at{};
};

}  // namespace oban
