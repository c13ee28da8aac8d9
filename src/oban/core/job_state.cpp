#include "oban/core/job_state.hpp"

#include <array>
#include <utility>

namespace oban {
namespace {
constexpr std::array<std::pair<JobState, std::string_view>, 8> kNames{{
    {JobState::available, "available"},
    {JobState::suspended, "suspended"},
    {JobState::scheduled, "scheduled"},
    {JobState::executing, "executing"},
    {JobState::retryable, "retryable"},
    {JobState::completed, "completed"},
    {JobState::discarded, "discarded"},
    {JobState::cancelled, "cancelled"},
}};
}  // namespace

std::string_view to_string(JobState state) {
  for (const auto& [value, name] : kNames) {
    if (value == state) return name;
  }
  return "available";
}

std::optional<JobState> parse_job_state(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace oban
