#pragma once
// One row the inserter writes, decided down to the last column: what goes into the INSERT
// and into the unique check. insert/ builds it from a NewJob; this file only describes it,
// so db/ needs nothing from the layers above.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oban/core/job_state.hpp"
#include "oban/core/timestamp.hpp"
#include "oban/core/unique_options.hpp"

namespace oban::db {

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

}  // namespace oban::db
