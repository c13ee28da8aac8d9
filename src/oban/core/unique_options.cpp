#include "oban/core/unique_options.hpp"

namespace oban::unique_states {

using S = JobState;

std::vector<JobState> all() {
  return {S::suspended, S::scheduled, S::available, S::executing, S::retryable, S::completed, S::discarded, S::cancelled};
}
std::vector<JobState> incomplete() { return {S::suspended, S::available, S::scheduled, S::executing, S::retryable}; }
std::vector<JobState> scheduled() { return {S::scheduled}; }
std::vector<JobState> successful() {
  return {S::suspended, S::available, S::scheduled, S::executing, S::retryable, S::completed};
}

}  // namespace oban::unique_states

namespace oban {

UniqueOptions UniqueOptions::infinite() {
  UniqueOptions options;
  options.period.reset();
  return options;
}

}  // namespace oban
