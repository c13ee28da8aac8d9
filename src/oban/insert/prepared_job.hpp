#pragma once
// A NewJob checked and turned into the row the inserter writes (db::PreparedJob): state
// decided, tags normalized, unique options resolved against one `now`.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oban/core/job_state.hpp"
#include "oban/core/new_job.hpp"
#include "oban/core/timestamp.hpp"
#include "oban/core/unique_options.hpp"
#include "oban/db/job_insert_row.hpp"

namespace oban::insert {

using db::MapMatch;
using db::PreparedJob;
using db::UniqueCheck;

// Assumes validate(job) found nothing. `now` is the inserter's clock reading.
PreparedJob prepare_job(const NewJob& job, const std::string& prefix, Timestamp now, int schema_version);

// The fields a replace for a conflicting row in `row_state` overwrites. Like Elixir, only
// the new changeset's *changes* count: a field still at Oban.Job's schema default (queue
// "default", max_attempts 20, meta {}, tags [], priority or scheduled_at not given) is not
// a change and is left alone.
std::vector<ReplaceField> replace_fields(const PreparedJob& job, JobState row_state);

}  // namespace oban::insert
