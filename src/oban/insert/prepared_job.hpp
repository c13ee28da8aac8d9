#pragma once
// A NewJob checked and turned into exactly what goes into the INSERT and the unique check:
// state decided, tags normalized, unique options resolved against one `now`.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oban/core/job_state.hpp"
#include "oban/core/new_job.hpp"
#include "oban/core/timestamp.hpp"
#include "oban/core/unique_options.hpp"

namespace oban::insert {

// How args or meta take part in the unique check (oban-protocol.md section 4).
enum class MapMatch {
  none,     // not in `fields`
  equal,    // no keys: col @> v AND col <@ v
  contain,  // keys: col @> v, v filtered to the keys
  empty,    // the (filtered) value is {}: col <@ '{}'
};

struct UniqueCheck {
  bool by_queue = false;
  bool by_worker = false;
  MapMatch args = MapMatch::none;
  MapMatch meta = MapMatch::none;
  std::string args_value = "{}";       // the value compared with args (filtered to keys)
  std::string meta_value = "{}";       // the value compared with meta (filtered to keys)
  // A top-level key of args_value / meta_value holding a scalar, or "": a row can only
  // match if its value under that key is jsonb-equal, which lets the batch lookup pair
  // jobs with a hash join instead of comparing every pair.
  std::string args_probe;
  std::string meta_probe;
  std::vector<JobState> states;         // without `suspended` on schemas older than V14
  std::optional<Timestamp> cutoff;      // now - period; nullopt for :infinity
  UniqueTimestamp timestamp = UniqueTimestamp::inserted_at;
  std::map<JobState, std::vector<ReplaceField>> replace;
  // Everything of the lock key except the args/meta values, which PostgreSQL canonicalizes
  // (jsonb text) before hashing, so equal maps written differently lock the same key.
  std::string lock_base;

  // Jobs with the same shape share one query text in the batch lookup.
  std::string shape() const;
};

struct PreparedJob {
  JobState state = JobState::available;
  std::string queue;
  std::string worker;
  std::string args;
  std::string meta;
  std::vector<std::string> tags;  // normalized
  int max_attempts = 20;
  std::optional<int> priority;
  std::optional<Timestamp> scheduled_at;
  std::optional<Timestamp> inserted_at;  // normally the DB default (see NewJob::inserted_at)
  std::optional<UniqueCheck> unique;
};

// Assumes validate(job) found nothing. `now` is the inserter's clock reading.
PreparedJob prepare_job(const NewJob& job, const std::string& prefix, Timestamp now, int schema_version);

// The fields a replace for a conflicting row in `row_state` overwrites. Like Elixir, only
// the new changeset's *changes* count: a field still at Oban.Job's schema default (queue
// "default", max_attempts 20, meta {}, tags [], priority or scheduled_at not given) is not
// a change and is left alone.
std::vector<ReplaceField> replace_fields(const PreparedJob& job, JobState row_state);

}  // namespace oban::insert
