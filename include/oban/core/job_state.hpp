#pragma once
#include <optional>
#include <string_view>
#include <vector>

namespace oban {

// The values of `oban_job_state`, in the enum's order at V14.
enum class JobState { available, suspended, scheduled, executing, retryable, completed, discarded, cancelled };

std::string_view to_string(JobState state);
std::optional<JobState> parse_job_state(std::string_view text);

}  // namespace oban
