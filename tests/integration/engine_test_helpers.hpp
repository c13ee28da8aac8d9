#pragma once
// Helpers for the engine suites: jobs inserted the way Elixir's Oban.insert writes them
// (sql-log.txt "PLAIN INSERT"), fixture rows compared column by column, test workers,
// and waiting for a condition with a timeout.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/telemetry.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/json/json_object.hpp"
#include "oban/worker.hpp"
#include "support/test_database.hpp"

namespace engine_test {

struct PlainJob {
  std::string worker = "Rindle.Workers.MuxSyncProviderAsset";
  std::string queue = "rindle_provider";
  std::string args = "{}";
  int max_attempts = 3;
  std::optional<int> priority;
  std::optional<std::string> scheduled_at;  // SQL timestamp text; sets state scheduled
  std::string state;  // empty: "scheduled" with scheduled_at, else "available" (as Job.new)
  int attempt = 0;
};

// INSERT as Ecto writes it (only non-nil fields), then the insert notification Elixir sends
// after commit, when asked and when the job is available.
inline std::int64_t insert_plain(test_support::TestSchema& schema, const PlainJob& job, bool notify = true) {
  std::string columns = "\"args\",\"attempt\",\"errors\",\"max_attempts\",\"meta\",\"queue\"";
  std::string values = "$1,$2,$3,$4,$5,$6";
  std::vector<std::string> params{job.args, std::to_string(job.attempt), "{}", std::to_string(job.max_attempts), "{}",
                                   job.queue};
  if (job.priority) {
    columns += ",\"priority\"";
    params.push_back(std::to_string(*job.priority));
    values += ",$" + std::to_string(params.size());
  }
  std::string state = job.state.empty() ? "available" : job.state;
  if (job.scheduled_at) {
    columns += ",\"scheduled_at\"";
    params.push_back(*job.scheduled_at);
    values += ",$" + std::to_string(params.size());
    if (job.state.empty()) state = "scheduled";
  }
  columns += ",\"state\",\"tags\",\"worker\"";
  params.push_back(state);
  values += ",$" + std::to_string(params.size());
  params.push_back("{}");
  values += ",$" + std::to_string(params.size());
  params.push_back(job.worker);
  values += ",$" + std::to_string(params.size());
  // Values as literals (the helper builds a variable column list; the row is the same).
  std::string literal_values;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i > 0) literal_values += ",";
    literal_values += oban::db::quote_literal(params[i]);
  }
  (void)values;
  pqxx::work tx{schema.conn()};
  auto id = tx.exec("INSERT INTO " + schema.jobs_table() + " (" + columns + ") VALUES (" + literal_values +
                    ") ON CONFLICT DO NOTHING RETURNING \"id\"")[0][0].as<std::int64_t>();
  tx.commit();
  if (notify && state == "available") {
    pqxx::work ntx{schema.conn()};
    ntx.exec_params("SELECT pg_notify($1, payload) FROM json_array_elements_text($2::json) AS payload",
                    schema.prefix() + ".oban_insert", "[\"{\\\"queue\\\":\\\"" + job.queue + "\\\"}\"]");
    ntx.commit();
  }
  return id;
}

// pg_notify on "<prefix>.oban_<channel>" with `payloads` (each already JSON), as Elixir sends it.
inline void send_notification(test_support::TestSchema& schema, const std::string& channel,
                              const std::string& json_array_of_payloads) {
  pqxx::work tx{schema.conn()};
  tx.exec_params("SELECT pg_notify($1, payload) FROM json_array_elements_text($2::json) AS payload",
                 schema.prefix() + ".oban_" + channel, json_array_of_payloads);
  tx.commit();
}

inline std::string query_text(test_support::TestSchema& schema, const std::string& sql) {
  pqxx::read_transaction tx{schema.conn()};
  auto rows = tx.exec(sql);
  if (rows.empty() || rows[0][0].is_null()) return "";
  return rows[0][0].c_str();
}

inline std::string job_state(test_support::TestSchema& schema, std::int64_t id) {
  return query_text(schema, "SELECT state::text FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(id));
}

inline long long query_count(test_support::TestSchema& schema, const std::string& sql) {
  pqxx::read_transaction tx{schema.conn()};
  return tx.exec(sql)[0][0].as<long long>();
}

// Polls `condition` every `every` until it holds or `timeout` passes.
inline bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds{10},
                     std::chrono::milliseconds every = std::chrono::milliseconds{5}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(every);
  }
  return condition();
}

// Line `id` (1-based) of the fixture rows.jsonl.
inline std::string fixture_row(int id) {
  std::ifstream in{std::string{OBAN_FIXTURES_DIR} + "/rows.jsonl"};
  std::string line;
  for (int i = 1; std::getline(in, line); ++i) {
    if (i == id) return line;
  }
  throw std::runtime_error("no fixture row " + std::to_string(id));
}

// The columns where our row differs from the fixture row, ignoring id, node names and
// uuids (attempted_by: only its length) and times (only whether they are null). Errors:
// same count, same attempt each, an "at" each, and with `exact_errors` the same text.
inline std::vector<std::string> row_differences(test_support::TestSchema& schema, std::int64_t id, int fixture_id,
                                                bool exact_errors) {
  const std::string sql =
      "WITH ours AS (SELECT to_jsonb(o) - 'id' AS j FROM " + schema.jobs_table() +
      " AS o WHERE o.id = $1), theirs AS (SELECT $2::jsonb - 'id' AS j) "
      "SELECT k FROM ours, theirs, jsonb_object_keys(theirs.j) AS k WHERE CASE "
      "WHEN k IN ('inserted_at','scheduled_at','attempted_at','completed_at','discarded_at','cancelled_at') "
      "  THEN (ours.j->k = 'null'::jsonb) <> (theirs.j->k = 'null'::jsonb) "
      "WHEN k = 'attempted_by' THEN coalesce(jsonb_array_length(nullif(ours.j->k, 'null'::jsonb)), 0) <> "
      "  coalesce(jsonb_array_length(nullif(theirs.j->k, 'null'::jsonb)), 0) "
      "WHEN k = 'errors' THEN jsonb_array_length(ours.j->k) <> jsonb_array_length(theirs.j->k) OR EXISTS ("
      "  SELECT 1 FROM jsonb_array_elements(ours.j->k) WITH ORDINALITY AS a(e, i) "
      "  JOIN jsonb_array_elements(theirs.j->k) WITH ORDINALITY AS b(e, i) USING (i) "
      "  WHERE a.e->'attempt' <> b.e->'attempt' OR NOT (a.e ? 'at') OR (a.e->>'error') NOT LIKE '** (%' "
      "  OR ($3 AND a.e->'error' <> b.e->'error')) "
      "ELSE (ours.j->k) IS DISTINCT FROM (theirs.j->k) END ORDER BY k";
  pqxx::read_transaction tx{schema.conn()};
  std::vector<std::string> keys;
  for (const auto& row : tx.exec_params(sql, id, fixture_row(fixture_id), exact_errors)) keys.push_back(row[0].c_str());
  if (tx.exec_params("SELECT 1 FROM " + schema.jobs_table() + " WHERE id = $1", id).empty()) keys.push_back("<missing>");
  return keys;
}

// A worker that behaves like the fixture's scripted Anchor.Recorder, by args.anchor_action.
class AnchorWorker final : public oban::Worker {
 public:
  std::string name() const override { return "Rindle.Workers.MuxSyncProviderAsset"; }
  oban::WorkerOptions options() const override {
    oban::WorkerOptions o;
    o.queue = "rindle_provider";
    o.max_attempts = 3;
    return o;
  }
  oban::JobResult perform(oban::JobContext& context) override {
    const auto action = context.args.string("anchor_action").value_or("");
    if (action == "raise_once" && context.job.attempt == 1) throw std::runtime_error("anchor scripted raise_once");
    if (action == "raise") {
      throw std::runtime_error("anchor scripted raise (attempt " + std::to_string(context.job.attempt) + ")");
    }
    if (action == "error") return oban::JobResult::error("anchor scripted error");
    if (action == "cancel") return oban::JobResult::cancel("anchor scripted cancel");
    if (action == "snooze") return oban::JobResult::snooze(context.args.integer("snooze").value_or(0));
    if (action == "sleep") {
      sleeping.fetch_add(1);
      std::mutex mutex;
      std::condition_variable_any cv;
      std::unique_lock lock{mutex};
      cv.wait_for(lock, context.stop, std::chrono::milliseconds{context.args.integer("sleep_ms").value_or(0)},
                  [] { return false; });
      sleeping.fetch_sub(1);
      stopped_early += context.stop.stop_requested() ? 1 : 0;
      return oban::JobResult::ok();
    }
    return oban::JobResult::ok();
  }
  std::atomic<int> sleeping{0};
  std::atomic<int> stopped_early{0};
};

// Telemetry events recorded while alive (those whose names start with one of `prefixes`).
class EventLog {
 public:
  explicit EventLog(std::vector<std::string> prefixes = {}) {
    id_ = oban::telemetry::attach(std::move(prefixes), [this](const oban::telemetry::Event& event) {
      std::lock_guard lock{mutex_};
      events_.push_back(event);
    });
  }
  ~EventLog() { oban::telemetry::detach(id_); }
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  std::vector<oban::telemetry::Event> named(const std::string& name) const {
    std::lock_guard lock{mutex_};
    std::vector<oban::telemetry::Event> out;
    for (const auto& event : events_) {
      if (event.name == name) out.push_back(event);
    }
    return out;
  }
  std::size_t count(const std::string& name) const { return named(name).size(); }
  void clear() {
    std::lock_guard lock{mutex_};
    events_.clear();
  }

 private:
  oban::telemetry::HandlerId id_ = 0;
  mutable std::mutex mutex_;
  std::vector<oban::telemetry::Event> events_;
};

// A worker named `name` that counts its runs per job id and returns ok.
class RunCounter : public oban::Worker {
 public:
  explicit RunCounter(std::string name = "Test.Counting") : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  oban::JobResult perform(oban::JobContext& context) override {
    std::lock_guard lock{mutex_};
    ++runs_[context.job.id];
    ++total_;
    return oban::JobResult::ok();
  }
  int runs(std::int64_t id) const {
    std::lock_guard lock{mutex_};
    auto found = runs_.find(id);
    return found == runs_.end() ? 0 : found->second;
  }
  int total() const {
    std::lock_guard lock{mutex_};
    return total_;
  }
  // Ids run more than once.
  int repeated() const {
    std::lock_guard lock{mutex_};
    int count = 0;
    for (const auto& [id, n] : runs_) count += n > 1 ? 1 : 0;
    return count;
  }

 private:
  std::string name_;
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, int> runs_;
  int total_ = 0;
};

// Rows of `schema` in `state`, optionally of one queue.
inline long long count_in_state(test_support::TestSchema& schema, const std::string& state,
                                const std::string& queue = "") {
  return query_count(schema, "SELECT count(*) FROM " + schema.jobs_table() + " WHERE state = " +
                                 oban::db::quote_literal(state) +
                                 (queue.empty() ? "" : " AND queue = " + oban::db::quote_literal(queue)));
}

// Runs `sql` (several statements allowed) on the test's connection, committed.
inline void exec_sql(test_support::TestSchema& schema, const std::string& sql) {
  pqxx::nontransaction tx{schema.conn()};
  tx.exec(sql);
}

}  // namespace engine_test
