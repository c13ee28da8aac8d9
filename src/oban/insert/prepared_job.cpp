#include "oban/insert/prepared_job.hpp"

#include <algorithm>

#include "oban/json/json_object.hpp"
#include "oban/json/json_writer.hpp"

namespace oban::insert {
namespace {

bool has_field(const UniqueOptions& options, UniqueField field) {
  return std::find(options.fields.begin(), options.fields.end(), field) != options.fields.end();
}

bool is_empty_object(const std::string& text) { return json::JsonObject::parse(text).keys().empty(); }

// Decides how a map field takes part, with which value (the map's top-level keys filtered
// to `keys`, as Elixir's Map.take after stringifying them; values copied as written, jsonb
// normalizes them), and its probe: the smallest top-level key of that value holding a
// scalar, which a matching row must hold jsonb-equal ("" when there is none). One parse.
void plan_map(const UniqueOptions& options, UniqueField field, const std::string& value, MapMatch& mode,
              std::string& compared, std::string& probe) {
  if (!has_field(options, field)) return;
  const auto object = json::JsonObject::parse(value);
  const bool filtered = !options.keys.empty();
  json::ObjectWriter writer;
  bool any = false;
  for (const auto& key : object.keys()) {  // sorted
    if (filtered && std::find(options.keys.begin(), options.keys.end(), key) == options.keys.end()) continue;
    const auto raw = *object.raw(key);
    if (filtered) writer.add_raw(key, raw);
    if (probe.empty() && !raw.empty() && raw.front() != '{' && raw.front() != '[') probe = key;
    any = true;
  }
  if (!any) {
    mode = MapMatch::empty;
    compared = "{}";
    probe.clear();
    return;
  }
  compared = filtered ? writer.str() : value;
  mode = filtered ? MapMatch::contain : MapMatch::equal;
}

}  // namespace


PreparedJob prepare_job(const NewJob& job, const std::string& prefix, Timestamp now, int schema_version) {
  PreparedJob out;
  out.queue = job.queue;
  out.worker = job.worker;
  out.args = job.args;
  out.meta = job.meta;
  out.tags = normalize_tags(job.tags);
  out.max_attempts = job.max_attempts;
  out.priority = job.priority;
  out.scheduled_at = job.scheduled_at;
  out.inserted_at = job.inserted_at;
  // Job.new: scheduling makes the job scheduled even for a time already past; an
  // explicit state wins over both.
  out.state = job.state.value_or(job.scheduled_at ? JobState::scheduled : JobState::available);

  if (!job.unique) return out;
  const UniqueOptions& options = *job.unique;
  UniqueCheck check;
  check.by_queue = has_field(options, UniqueField::queue);
  check.by_worker = has_field(options, UniqueField::worker);
  plan_map(options, UniqueField::args, job.args, check.args, check.args_value, check.args_probe);
  plan_map(options, UniqueField::meta, job.meta, check.meta, check.meta_value, check.meta_probe);
  for (auto state : options.states) {
    // Schemas before V14 have no `suspended` in the enum; comparing with it would fail.
    if (state == JobState::suspended && schema_version < 14) continue;
    if (std::find(check.states.begin(), check.states.end(), state) == check.states.end()) check.states.push_back(state);
  }
  if (options.period) check.cutoff = now - std::chrono::duration_cast<std::chrono::microseconds>(*options.period);
  check.timestamp = options.timestamp;
  check.replace = options.replace;
  // Only values that decide a match go into the key, so jobs that can match each other
  // (same unique fields) always share it.
  check.lock_base = "[" + json::quote(prefix) + "," + (check.by_queue ? json::quote(job.queue) : "null") + "," +
                    (check.by_worker ? json::quote(job.worker) : "null") + "]";
  out.unique = std::move(check);
  return out;
}

std::vector<ReplaceField> replace_fields(const PreparedJob& job, JobState row_state) {
  std::vector<ReplaceField> fields;
  if (!job.unique) return fields;
  auto entry = job.unique->replace.find(row_state);
  if (entry == job.unique->replace.end()) return fields;
  for (auto field : entry->second) {
    bool changed = false;
    switch (field) {
      case ReplaceField::args: changed = true; break;
      case ReplaceField::worker: changed = true; break;
      case ReplaceField::queue: changed = job.queue != "default"; break;
      case ReplaceField::max_attempts: changed = job.max_attempts != 20; break;
      case ReplaceField::meta: changed = !is_empty_object(job.meta); break;
      case ReplaceField::tags: changed = !job.tags.empty(); break;
      case ReplaceField::priority: changed = job.priority.has_value(); break;
      case ReplaceField::scheduled_at: changed = job.scheduled_at.has_value(); break;
    }
    if (changed && std::find(fields.begin(), fields.end(), field) == fields.end()) fields.push_back(field);
  }
  return fields;
}

}  // namespace oban::insert
