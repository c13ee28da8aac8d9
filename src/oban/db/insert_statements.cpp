#include "oban/db/insert_statements.hpp"

#include <algorithm>
#include <functional>
#include <atomic>
#include <map>
#include <stdexcept>

#include "oban/db/identifiers.hpp"
#include "oban/db/job_row.hpp"
#include "oban/db/notification.hpp"
#include "oban/json/json_object.hpp"

namespace oban::db {
namespace {

std::atomic<std::uint64_t> statement_counter{0};

// Positional parameters of a statement whose text is built on the fly.
class Params {
 public:
  std::string add(std::string value) {
    values_.push_back(std::move(value));
    return "$" + std::to_string(values_.size());
  }
  const std::vector<std::string>& values() const { return values_; }

 private:
  std::vector<std::string> values_;
};

pqxx::result run(pqxx::transaction_base& tx, const std::string& sql, const Params& params) {
  ++statement_counter;
  return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params.values()));
}

// An array literal whose missing elements are SQL NULLs.
std::string nullable_array_literal(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    if (!items[i]) {
      out += "NULL";
      continue;
    }
    out.push_back('"');
    for (char c : *items[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  return out + "}";
}

std::string int_array_literal(const std::vector<std::int64_t>& items) { return bigint_array_literal(items); }

std::vector<std::string> state_names(const std::vector<JobState>& states) {
  std::vector<std::string> names;
  for (auto state : states) names.emplace_back(to_string(state));
  return names;
}

// The unique condition of candidate `c` against row `r` (a table row or a planned one).
std::string unique_condition(const UniqueCheck& check, const std::string& r, const std::string& states) {
  std::string sql = r + ".state" + states;
  if (check.cutoff) {
    const char* column = check.timestamp == UniqueTimestamp::scheduled_at ? ".scheduled_at" : ".inserted_at";
    sql += " AND " + r + column + " >= c.cutoff";
  }
  if (check.by_worker) sql += " AND " + r + ".worker = c.worker";
  if (check.by_queue) sql += " AND " + r + ".queue = c.queue";
  auto map_condition = [&](MapMatch mode, const std::string& column) {
    const std::string col = r + "." + column;
    switch (mode) {
      case MapMatch::none: break;
      case MapMatch::equal: sql += " AND " + col + " @> c." + column + " AND " + col + " <@ c." + column; break;
      case MapMatch::contain: sql += " AND " + col + " @> c." + column; break;
      case MapMatch::empty: sql += " AND " + col + " <@ '{}'::jsonb"; break;
    }
  };
  map_condition(check.args, "args");
  map_condition(check.meta, "meta");
  return sql;
}

// Whether the check compares the map's value (rather than ignoring it or wanting it empty).
bool compares(MapMatch mode) { return mode == MapMatch::equal || mode == MapMatch::contain; }

// The JSON text under `key` of the object `text`, if any.
std::optional<std::string> value_at(const std::string& text, const std::string& key) {
  return json::JsonObject::parse(text).raw(key);
}

bool plain_string(const std::string& raw) {
  return raw.size() >= 2 && raw.front() == '"' && raw.find('\\') == std::string::npos;
}

// Whether an earlier job of [begin, end) could match one of `members` (the candidates of
// one shape) inside the batch, so that the lookup must pair them. Ruled out only through the
// probe: a candidate's probe value is a JSON string without escapes (jsonb compares those
// byte for byte), and no earlier job holds that same string under the probe key, nor a
// string with escapes (which could spell it differently). Otherwise the lookup decides.
bool earlier_match_possible(const std::vector<PreparedJob>& jobs, std::size_t begin,
                            const std::vector<std::size_t>& members, const UniqueCheck& check) {
  const bool by_args = !check.args_probe.empty();
  const std::string& key = by_args ? check.args_probe : check.meta_probe;
  if (key.empty()) return true;
  const std::size_t end = members.back() + 1;  // no later job is anyone's earlier
  std::map<std::string, std::size_t> first_plain;
  std::optional<std::size_t> first_escaped;
  for (std::size_t i = begin; i < end; ++i) {
    const auto raw = value_at(by_args ? jobs[i].args : jobs[i].meta, key);
    if (!raw || raw->empty() || raw->front() != '"') continue;  // no value there, or no string: no match
    if (plain_string(*raw)) {
      first_plain.emplace(*raw, i);
    } else if (!first_escaped) {
      first_escaped = i;
    }
  }
  for (const auto c : members) {
    const auto& unique = *jobs[c].unique;
    const auto raw = value_at(by_args ? unique.args_value : unique.meta_value, key);
    if (!raw || !plain_string(*raw)) return true;
    if (first_escaped && *first_escaped < c) return true;
    const auto found = first_plain.find(*raw);
    if (found != first_plain.end() && found->second < c) return true;
  }
  return false;
}

}  // namespace

std::uint64_t insert_statement_count() { return statement_counter.load(); }

void lock_unique_keys(pqxx::transaction_base& tx, const std::vector<PreparedJob>& jobs, std::size_t begin,
                      std::size_t end) {
  std::vector<std::string> bases, args, metas;
  for (std::size_t i = begin; i < end; ++i) {
    const auto& unique = jobs[i].unique;
    if (!unique) continue;
    bases.push_back(unique->lock_base);
    args.push_back(unique->args == MapMatch::none ? "null" : unique->args_value);
    metas.push_back(unique->meta == MapMatch::none ? "null" : unique->meta_value);
  }
  if (bases.empty()) return;
  Params params;
  const auto ns = params.add(std::to_string(kUniqueLockNamespace));
  // Base and meta are mostly the same for the whole batch: then sent once (args always
  // vary enough to be worth the array, and give the row count).
  const auto uniform = [](const std::vector<std::string>& items) {
    return std::adjacent_find(items.begin(), items.end(), std::not_equal_to<>()) == items.end();
  };
  std::string unnested = params.add(text_array_literal(args)) + "::jsonb[]", names = "args";
  const auto per_job = [&](const std::string& name, const std::vector<std::string>& items, const std::string& type) {
    if (uniform(items)) return "(" + params.add(items.front()) + "::" + type + ")";
    unnested += ", " + params.add(text_array_literal(items)) + "::" + type + "[]";
    names += ", " + name;
    return "c." + name;
  };
  const auto b = per_job("base", bases, "text");
  const auto m = per_job("meta", metas, "jsonb");
  // jsonb::text is canonical (key order, spacing), so maps that compare equal hash alike.
  // hashtext runs on the one server all inserters share, so every inserter computes the
  // same key whatever its build. Keys fall into kUniqueLockBuckets buckets, so a batch of
  // any size takes at most that many locks: PostgreSQL's shared lock table holds only
  // max_locks_per_transaction x max_connections entries (6,400 by default), and a
  // 10,000-job fan-out with one lock per job would exhaust it. Jobs that could match
  // share a key, hence a bucket; unrelated jobs sharing a bucket merely wait for each
  // other. The DISTINCT subquery is not flattened, so locks are taken in ascending order.
  run(tx,
      "SELECT pg_advisory_xact_lock(" + ns + "::int4, k.key) FROM (SELECT DISTINCT hashtext(" + b + " || '|' || "
      "c.args::text || '|' || " + m + "::text) & " + std::to_string(kUniqueLockBuckets - 1) +
      " AS key FROM unnest(" + unnested + ") AS c(" + names + ") ORDER BY 1) AS k",
      params);
}

std::vector<UniqueMatch> find_unique_matches(pqxx::transaction_base& tx, const std::string& prefix,
                                             const std::vector<PreparedJob>& jobs, std::size_t begin,
                                             std::size_t end) {
  // Candidates grouped by the shape of their check: one SELECT text per shape.
  std::map<std::string, std::vector<std::size_t>> shapes;
  for (std::size_t i = begin; i < end; ++i) {
    if (jobs[i].unique) shapes[jobs[i].unique->shape()].push_back(i);
  }
  if (shapes.empty()) return {};
  std::map<std::string, bool> paired;  // shape -> whether an earlier job of the range may match
  bool any_paired = false;
  for (const auto& [shape, members] : shapes) {
    paired[shape] = earlier_match_possible(jobs, begin, members, *jobs[members.front()].unique);
    any_paired = any_paired || paired[shape];
  }

  Params params;
  const std::string table = qualified(prefix, "oban_jobs");
  const std::string state_type = qualified(prefix, "oban_job_state");

  // The rows the earlier jobs of the range would insert, to find matches inside the batch.
  // inserted_at is the DB default of this transaction, as it will be on insert. Columns no
  // check compares are left NULL (unnest pads an empty array): parsing 10,000 jsonb values
  // costs tens of milliseconds.
  std::string sql = "WITH ";
  if (any_paired) {
    bool by_queue = false, by_worker = false, by_args = false, by_meta = false;
    for (const auto& [shape, members] : shapes) {
      if (!paired[shape]) continue;
      const auto& check = *jobs[members.front()].unique;
      by_queue = by_queue || check.by_queue;
      by_worker = by_worker || check.by_worker;
      by_args = by_args || compares(check.args);
      by_meta = by_meta || compares(check.meta);
    }
    std::vector<std::int64_t> idx;
    std::vector<std::string> states, queues, workers, args, metas;
    std::vector<std::optional<std::string>> scheduled;
    for (std::size_t i = begin; i < end; ++i) {
      idx.push_back(static_cast<std::int64_t>(i));
      states.emplace_back(to_string(jobs[i].state));
      if (by_queue) queues.push_back(jobs[i].queue);
      if (by_worker) workers.push_back(jobs[i].worker);
      if (by_args) args.push_back(jobs[i].args);
      if (by_meta) metas.push_back(jobs[i].meta);
      scheduled.push_back(jobs[i].scheduled_at ? std::optional{format_sql_timestamp(*jobs[i].scheduled_at)}
                                               : std::nullopt);
    }
    sql += "planned AS MATERIALIZED (SELECT p.idx, p.state, p.queue, p.worker, p.args, p.meta, "
           "timezone('UTC', now()) AS inserted_at, coalesce(p.scheduled_at, timezone('UTC', now())) AS scheduled_at "
           "FROM unnest(" + params.add(int_array_literal(idx)) + "::int8[], " + params.add(text_array_literal(states)) +
           "::text[], " + params.add(text_array_literal(queues)) + "::text[], " +
           params.add(text_array_literal(workers)) + "::text[], " + params.add(text_array_literal(args)) +
           "::jsonb[], " + params.add(text_array_literal(metas)) + "::jsonb[], " +
           params.add(nullable_array_literal(scheduled)) +
           "::timestamp[]) AS p(idx, state, queue, worker, args, meta, scheduled_at)), ";
  }

  std::string selects;
  int shape_number = 0;
  for (const auto& [shape, members] : shapes) {
    const auto& check = *jobs[members.front()].unique;
    std::vector<std::int64_t> idx;
    std::vector<std::string> workers, queues, args, metas;
    std::vector<std::optional<std::string>> cutoffs;
    for (auto i : members) {
      const auto& unique = *jobs[i].unique;
      idx.push_back(static_cast<std::int64_t>(i));
      if (check.by_worker) workers.push_back(jobs[i].worker);
      if (check.by_queue) queues.push_back(jobs[i].queue);
      if (compares(check.args)) args.push_back(unique.args_value);
      if (compares(check.meta)) metas.push_back(unique.meta_value);
      cutoffs.push_back(unique.cutoff ? std::optional{format_sql_timestamp(*unique.cutoff)} : std::nullopt);
    }
    const std::string n = std::to_string(shape_number++);
    const auto states = params.add(text_array_literal(state_names(check.states)));
    // Pairs (earlier planned row, candidate) are joined on the probe values when there are
    // any (a hash join), else on the other equalities of the check.
    // (Probe keys are bound only where used: an unused parameter has no type.)
    const bool table_probed = (!check.args_probe.empty() || !check.meta_probe.empty()) && members.size() > 1;
    const bool probed = paired[shape] || table_probed;
    std::string probes, table_probes;
    if (probed && !check.args_probe.empty()) {
      const auto key = params.add(check.args_probe);
      probes += " AND p.args -> " + key + "::text = c.args -> " + key + "::text";
      table_probes += " AND j.args -> " + key + "::text = c.args -> " + key + "::text";
    }
    if (probed && !check.meta_probe.empty()) {
      const auto key = params.add(check.meta_probe);
      probes += " AND p.meta -> " + key + "::text = c.meta -> " + key + "::text";
      table_probes += " AND j.meta -> " + key + "::text = c.meta -> " + key + "::text";
    }
    // A column with one value for all candidates is sent once (the cutoff is now - period,
    // the worker often the same); one nobody compares is NULL.
    std::string unnested = params.add(int_array_literal(idx)) + "::int8[]", names = "idx", selected = "c.idx";
    const auto column = [&](const std::string& name, const std::vector<std::optional<std::string>>& items,
                            const std::string& type) {
      if (items.empty()) {
        selected += ", NULL::" + type + " AS " + name;
      } else if (std::adjacent_find(items.begin(), items.end(), std::not_equal_to<>()) == items.end()) {
        selected += ", " + (items.front() ? params.add(*items.front()) : std::string("NULL")) + "::" + type + " AS " + name;
      } else {
        unnested += ", " + params.add(nullable_array_literal(items)) + "::" + type + "[]";
        names += ", " + name;
        selected += ", c." + name;
      }
    };
    const auto present = [](const std::vector<std::string>& items) {
      return std::vector<std::optional<std::string>>(items.begin(), items.end());
    };
    column("worker", present(workers), "text");
    column("queue", present(queues), "text");
    column("args", present(args), "jsonb");
    column("meta", present(metas), "jsonb");
    column("cutoff", cutoffs, "timestamp");
    sql += std::string(n == "0" ? "" : ", ") + "cands" + n + " AS MATERIALIZED (SELECT " + selected + " FROM unnest(" +
           unnested + ") AS c(" + names + "))";
    std::string earlier = "'{}'::int8[]", pairs_join;
    if (paired[shape]) {
      sql += ", pairs" + n + " AS (SELECT c.idx, array_agg(p.idx ORDER BY p.idx) AS earlier FROM cands" + n +
             " AS c JOIN planned AS p ON p.idx < c.idx" + probes + " AND " +
             unique_condition(check, "p", " = ANY(" + states + "::text[])") + " GROUP BY c.idx)";
      earlier = "coalesce(e.earlier, '{}')";
      pairs_join = " LEFT JOIN pairs" + n + " AS e ON e.idx = c.idx";
    }
    selects += selects.empty() ? " (" : " UNION ALL (";
    const auto table_states = " = ANY(" + states + "::text[]::" + state_type + "[])";
    if (table_probed) {
      // Many candidates with a scalar probe: one pass over the table, hash-joined on the
      // probe value. A per-candidate lookup cannot use an index here: the GIN index on
      // args (jsonb_ops) must intersect the posting list of the key itself, which holds
      // every row, so each lookup costs milliseconds and 10,000 of them cost seconds.
      // Any matching row will do, as with Elixir's LIMIT 1; the lowest id is taken.
      selects += "SELECT DISTINCT ON (c.idx) " + job_columns("j") + ", c.idx, " + earlier + " FROM cands" + n +
                 " AS c" + pairs_join + " LEFT JOIN " + table + " AS j ON " +
                 unique_condition(check, "j", table_states) + table_probes + " ORDER BY c.idx, j.id)";
    } else {
      selects += "SELECT " + job_columns("j") + ", c.idx, " + earlier + " FROM cands" + n + " AS c" + pairs_join +
                 " LEFT JOIN LATERAL (SELECT * FROM " + table + " AS o WHERE " +
                 unique_condition(check, "o", table_states) + " LIMIT 1) AS j ON true)";
    }
  }
  sql += selects;

  std::vector<UniqueMatch> matches;
  for (const auto& row : run(tx, sql, params)) {
    UniqueMatch match;
    match.index = row[18].as<std::size_t>();
    if (!row[0].is_null()) match.existing = read_job(row);
    for (const auto& item : parse_text_array(row[19])) match.earlier.push_back(std::stoul(item));
    matches.push_back(std::move(match));
  }
  std::sort(matches.begin(), matches.end(), [](const auto& x, const auto& y) { return x.index < y.index; });
  return matches;
}

std::vector<Job> insert_jobs(pqxx::transaction_base& tx, const std::string& prefix,
                             const std::vector<const PreparedJob*>& jobs, const std::vector<std::string>& notify) {
  // Ecto leaves nil fields out of the INSERT so the DB defaults apply: priority and
  // scheduled_at are listed only when some job sets them. A mixed batch still goes in one
  // statement, so the ids ascend in input order as with one insert per job; its rows
  // without a value get the very expressions the schema declares as defaults.
  bool any_priority = false, all_priority = true, any_scheduled = false, all_scheduled = true;
  bool any_inserted = false;
  for (const auto* job : jobs) {
    any_inserted = any_inserted || job->inserted_at.has_value();
    any_priority = any_priority || job->priority.has_value();
    all_priority = all_priority && job->priority.has_value();
    any_scheduled = any_scheduled || job->scheduled_at.has_value();
    all_scheduled = all_scheduled && job->scheduled_at.has_value();
  }
  std::vector<std::string> states, queues, workers, args, metas, tags, max_attempts;
  std::vector<std::optional<std::string>> priorities, scheduled, inserted;
  for (const auto* job : jobs) {
    inserted.push_back(job->inserted_at ? std::optional{format_sql_timestamp(*job->inserted_at)} : std::nullopt);
    states.emplace_back(to_string(job->state));
    queues.push_back(job->queue);
    workers.push_back(job->worker);
    args.push_back(job->args);
    metas.push_back(job->meta);
    tags.push_back(text_array_literal(job->tags));
    max_attempts.push_back(std::to_string(job->max_attempts));
    priorities.push_back(job->priority ? std::optional{std::to_string(*job->priority)} : std::nullopt);
    scheduled.push_back(job->scheduled_at ? std::optional{format_sql_timestamp(*job->scheduled_at)} : std::nullopt);
  }
  Params params;
  std::string unnested, names;
  // A column with one value for every job is sent once rather than once per job (the
  // server parses each element it is sent, jsonb ones dearly): a batch's jobs mostly share
  // their state, queue, worker, meta, tags and max_attempts.
  // `type` is each element's SQL type, sent as `sent` (tags travel as text[] literals).
  const auto column = [&](const std::string& name, const std::vector<std::string>& items, const std::string& type,
                          const std::string& sent = "") {
    if (std::adjacent_find(items.begin(), items.end(), std::not_equal_to<>()) == items.end()) {
      return params.add(items.front()) + "::" + type;
    }
    const std::string element = sent.empty() ? type : sent;
    unnested += params.add(text_array_literal(items)) + "::" + element + "[], ";
    names += name + ", ";
    return "u." + name + (sent.empty() ? "" : "::" + type);
  };
  const std::string state_type = qualified(prefix, "oban_job_state");
  std::string columns = "state, queue, worker, args, meta, tags, errors, attempt, max_attempts";
  std::string values = column("state", states, "text") + "::" + state_type + ", " + column("queue", queues, "text") +
                       ", " + column("worker", workers, "text") + ", " + column("args", args, "jsonb") + ", " +
                       column("meta", metas, "jsonb") + ", " + column("tags", tags, "text[]", "text") + ", '{}'::jsonb[], 0, " +
                       column("max_attempts", max_attempts, "int4");
  if (any_priority) {
    columns += ", priority";
    values += all_priority ? ", u.priority" : ", coalesce(u.priority, 0)";
  }
  if (any_scheduled) {
    columns += ", scheduled_at";
    values += all_scheduled ? ", u.scheduled_at" : ", coalesce(u.scheduled_at, timezone('UTC'::text, now()))";
  }
  if (any_inserted) {
    // Only cron sets it (from its node clock); everything else keeps the DB default.
    columns += ", inserted_at";
    values += ", coalesce(u.inserted_at, timezone('UTC'::text, now()))";
  }
  // Rows enter in input order, so the ids the sequence hands out ascend with it. (The
  // nullable columns are always unnested: they give the row count even when every other
  // column is sent once.)
  std::string sql = "INSERT INTO " + qualified(prefix, "oban_jobs") + " AS o (" + columns + ") SELECT " + values +
                    " FROM unnest(" + unnested + params.add(nullable_array_literal(priorities)) + "::int4[], " +
                    params.add(nullable_array_literal(scheduled)) + "::timestamp[], " +
                    params.add(nullable_array_literal(inserted)) + "::timestamp[]) WITH ORDINALITY AS u(" + names +
                    "priority, scheduled_at, inserted_at, ord) ORDER BY u.ord ON CONFLICT DO NOTHING RETURNING " +
                    job_columns("o");
  if (!notify.empty()) {
    // The subquery in FROM runs once: one pg_notify per payload.
    sql = "WITH inserted AS (" + sql + ") SELECT inserted.* FROM inserted, (SELECT count(pg_notify(" +
          params.add(channel(prefix, "insert")) + ", payload)) FROM json_array_elements_text(" +
          params.add(encoded_payloads(notify)) + "::json) AS payload) AS notified";
  }
  std::vector<Job> rows;
  for (const auto& row : run(tx, sql, params)) rows.push_back(read_job(row));
  if (rows.size() != jobs.size()) {
    // Only a unique index added outside Oban's schema can make ON CONFLICT skip a row.
    throw std::runtime_error("insert_jobs: " + std::to_string(jobs.size() - rows.size()) + " of " +
                             std::to_string(jobs.size()) + " jobs were skipped by ON CONFLICT DO NOTHING");
  }
  std::sort(rows.begin(), rows.end(), [](const Job& x, const Job& y) { return x.id < y.id; });
  return rows;
}

Job replace_job(pqxx::transaction_base& tx, const std::string& prefix, std::int64_t id, const PreparedJob& job,
                const std::vector<ReplaceField>& fields) {
  Params params;
  const auto id_param = params.add(std::to_string(id));
  std::string sets;
  auto set = [&](const char* column, std::string value, const char* type) {
    if (!sets.empty()) sets += ", ";
    sets += std::string{column} + " = " + params.add(std::move(value)) + "::" + type;
  };
  for (auto field : fields) {
    switch (field) {
      case ReplaceField::args: set("args", job.args, "jsonb"); break;
      case ReplaceField::max_attempts: set("max_attempts", std::to_string(job.max_attempts), "int4"); break;
      case ReplaceField::meta: set("meta", job.meta, "jsonb"); break;
      case ReplaceField::priority: set("priority", std::to_string(job.priority.value_or(0)), "int4"); break;
      case ReplaceField::queue: set("queue", job.queue, "text"); break;
      case ReplaceField::scheduled_at:
        if (job.scheduled_at) set("scheduled_at", format_sql_timestamp(*job.scheduled_at), "timestamp");
        break;
      case ReplaceField::tags: set("tags", text_array_literal(job.tags), "text[]"); break;
      case ReplaceField::worker: set("worker", job.worker, "text"); break;
    }
  }
  const std::string table = qualified(prefix, "oban_jobs");
  const std::string sql = sets.empty()
                              ? "SELECT " + job_columns("o") + " FROM " + table + " AS o WHERE o.id = " + id_param
                              : "UPDATE " + table + " AS o SET " + sets + " WHERE o.id = " + id_param +
                                    " RETURNING " + job_columns("o");
  auto result = run(tx, sql, params);
  if (result.empty()) throw std::runtime_error("unique replace: job " + std::to_string(id) + " no longer exists");
  return read_job(result[0]);
}

}  // namespace oban::db
