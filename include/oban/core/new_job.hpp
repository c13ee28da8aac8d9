#pragma once
// A job to insert: Elixir's Oban.Job.new/2 changeset, before it reaches the table.
#include <optional>
#include <string>
#include <vector>

#include "oban/core/job_state.hpp"
#include "oban/core/timestamp.hpp"
#include "oban/core/unique_options.hpp"

namespace oban {

struct NewJob {
  std::string worker{};                    // e.g. "Rindle.Workers.MuxSyncProviderAsset"
  std::string queue = "default";
  std::string args = "{}";                 // must be a JSON object
  std::string meta = "{}";                 // must be a JSON object
  std::vector<std::string> tags{};         // normalized on insert like Job.new
  int max_attempts = 20;
  std::optional<int> priority{};           // omitted from the INSERT unless set (DB default 0)
  std::optional<Timestamp> scheduled_at{}; // set => state scheduled (even if in the past)
  std::optional<JobState> state{};         // explicit state wins
  std::optional<UniqueOptions> unique{};
  std::optional<Timestamp> inserted_at{};  // normally the DB default; cron sets its node's clock
};

// Job.new's tag rules: to_string, trim, downcase, drop empty, de-duplicate keeping order.
std::vector<std::string> normalize_tags(const std::vector<std::string>& tags);

}  // namespace oban
