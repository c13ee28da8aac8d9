#pragma once
// Helpers for the "good guest" suites: rows as an Elixir cluster leaves them (finished,
// executing on a node, failed as `unknown worker`) and a telemetry recorder.
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/telemetry.hpp"
#include "oban/core/timestamp.hpp"
#include "oban/db/identifiers.hpp"
#include "support/node_words.hpp"
#include "support/scoped_env.hpp"
#include "support/test_database.hpp"

namespace guest_test {

using test_support::node_config_from_words;
using test_support::ScopedEnv;

inline const std::string kElixirWorker = "MyApp.Workers.Report";  // a worker only Elixir nodes have
inline const std::string kCppWorker = "Cpp.Workers.Sync";         // the worker the C++ node registers
inline const std::string kElixirNode = "web-1@10.0.0.7";

// A finished row (completed, cancelled or discarded) whose finish time is `at`; the
// scheduled_at is `at` too (the Pruner judges completed rows by it).
inline std::int64_t insert_finished(test_support::TestSchema& schema, const std::string& worker,
                                    const std::string& state, oban::Timestamp at, const std::string& queue = "reports") {
  const auto time = oban::format_sql_timestamp(at);
  pqxx::work tx{schema.conn()};
  const auto id = tx.exec_params1(
                        "INSERT INTO " + schema.jobs_table() +
                            " (state, queue, worker, args, attempt, attempted_at, attempted_by, scheduled_at,"
                            " completed_at, cancelled_at, discarded_at) VALUES ($1::" +
                            oban::db::qualified(schema.prefix(), "oban_job_state") +
                            ", $2, $3, '{}', 1, $4::timestamp, ARRAY[$5, gen_random_uuid()::text], $4::timestamp,"
                            " CASE WHEN $1 = 'completed' THEN $4::timestamp END,"
                            " CASE WHEN $1 = 'cancelled' THEN $4::timestamp END,"
                            " CASE WHEN $1 = 'discarded' THEN $4::timestamp END) RETURNING id",
                        state, queue, worker, time, kElixirNode)[0]
                      .as<std::int64_t>();
  tx.commit();
  return id;
}

// A row executing on `node` since `attempted_at` (attempt 1 of `max_attempts`).
inline std::int64_t insert_executing(test_support::TestSchema& schema, const std::string& worker,
                                     oban::Timestamp attempted_at, const std::string& node = kElixirNode,
                                     int max_attempts = 20, const std::string& queue = "reports") {
  pqxx::work tx{schema.conn()};
  const auto id = tx.exec_params1("INSERT INTO " + schema.jobs_table() +
                                      " (state, queue, worker, args, attempt, max_attempts, attempted_at, attempted_by)"
                                      " VALUES ('executing', $1, $2, '{}', 1, $3, $4::timestamp,"
                                      " ARRAY[$5, gen_random_uuid()::text]) RETURNING id",
                                  queue, worker, max_attempts, oban::format_sql_timestamp(attempted_at), node)[0]
                      .as<std::int64_t>();
  tx.commit();
  return id;
}

// A row that `node` fetched at `attempted_at` and failed the way Oban's executor fails a
// job whose worker module it does not have (Executor.resolve_worker, then error_job or,
// with no attempts left, discard_job): the errors entry Job.format_attempt writes.
inline std::int64_t insert_unknown_worker_failure(test_support::TestSchema& schema, const std::string& worker,
                                                  const std::string& node, oban::Timestamp attempted_at,
                                                  int max_attempts = 3,
                                                  const std::string& error_prefix = "** (RuntimeError) unknown worker: ") {
  const bool discarded = max_attempts <= 1;
  const auto failed_at = attempted_at + std::chrono::milliseconds{3};
  const std::string entry = R"({"at": ")" + oban::format_iso8601(failed_at) + R"(", "attempt": 1, "error": ")" +
                            error_prefix + worker + R"("})";
  pqxx::work tx{schema.conn()};
  const auto id =
      tx.exec_params1(
            "INSERT INTO " + schema.jobs_table() +
                " (state, queue, worker, args, attempt, max_attempts, attempted_at, attempted_by, errors,"
                " scheduled_at, discarded_at) VALUES ($1::" + oban::db::qualified(schema.prefix(), "oban_job_state") +
                ", 'rindle_provider', $2, '{}', 1, $3, $4::timestamp, ARRAY[$5, gen_random_uuid()::text],"
                " ARRAY[$6::jsonb], CASE WHEN $1 = 'retryable' THEN $7::timestamp + interval '17 seconds'"
                " ELSE $4::timestamp END, CASE WHEN $1 = 'discarded' THEN $7::timestamp END) RETURNING id",
            discarded ? "discarded" : "retryable", worker, max_attempts, oban::format_sql_timestamp(attempted_at), node,
            entry, oban::format_sql_timestamp(failed_at))[0]
          .as<std::int64_t>();
  tx.commit();
  return id;
}

inline std::string state_of(test_support::TestSchema& schema, std::int64_t id) {
  pqxx::read_transaction tx{schema.conn()};
  const auto rows = tx.exec_params("SELECT state::text FROM " + schema.jobs_table() + " WHERE id = $1", id);
  return rows.empty() ? "<pruned>" : rows[0][0].as<std::string>();
}

// Every telemetry event whose name starts with one of `prefixes`, while alive.
class Recorder {
 public:
  explicit Recorder(std::vector<std::string> prefixes)
      : id_(oban::telemetry::attach(std::move(prefixes), [this](const oban::telemetry::Event& event) {
          std::lock_guard lock{mutex_};
          events_.push_back(event);
        })) {}
  ~Recorder() { oban::telemetry::detach(id_); }
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  std::vector<oban::telemetry::Event> named(const std::string& name) const {
    std::lock_guard lock{mutex_};
    std::vector<oban::telemetry::Event> out;
    for (const auto& event : events_) {
      if (event.name == name) out.push_back(event);
    }
    return out;
  }
  // plugin:stop events of the plugin named `plugin`.
  std::size_t plugin_runs(const std::string& plugin) const {
    std::size_t count = 0;
    for (const auto& event : named("plugin:stop")) {
      const auto* name = event.metadata.count("plugin") ? event.metadata.at("plugin").if_string() : nullptr;
      if (name && *name == plugin) ++count;
    }
    return count;
  }
  void clear() {
    std::lock_guard lock{mutex_};
    events_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<oban::telemetry::Event> events_;
  oban::telemetry::HandlerId id_;
};

}  // namespace guest_test
