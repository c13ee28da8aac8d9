#pragma once
// Database set-up shared by the measurements: fresh migrated schemas, jobs inserted in
// bulk with SQL (faster than the inserter for set-up), counts.
#include <chrono>
#include <cstdint>
#include <string>

#include <pqxx/pqxx>

#include "oban/runtime/node_config.hpp"

namespace bench {

inline constexpr const char* kNoopWorker = "Bench.Noop";

// Creates "<hint>_<n>" migrated to Oban v14 (and Rindle's tables when asked); returns it.
std::string fresh_schema(const std::string& dsn, const std::string& hint, bool with_rindle = false);

// Inserts `count` jobs of kNoopWorker into `queue` in one statement, args {"n": i}.
// `state` is "available" or "completed" (completed rows look like finished jobs).
void insert_jobs(pqxx::connection& conn, const std::string& prefix, const std::string& queue, int count,
                 const std::string& state = "available");

// Before a drain's clock starts: VACUUM ANALYZE the schema's oban_jobs (as autovacuum
// would leave it), then CHECKPOINT, so every drain starts from the same point of the
// checkpoint cycle (no checkpoint's full-page images land on one drain and not another).
void settle_before_drain(pqxx::connection& conn, const std::string& prefix);

// SELECT count(*) FROM "<prefix>".oban_jobs WHERE <where>
std::int64_t count_jobs(pqxx::connection& conn, const std::string& prefix, const std::string& where);
// min(id) of the schema's jobs (0 when empty).
std::int64_t min_job_id(pqxx::connection& conn, const std::string& prefix);

// The server's current WAL position, and the bytes written since one (all sessions: the
// private server runs only the benchmark).
std::string wal_position(pqxx::connection& conn);
double wal_bytes_since(pqxx::connection& conn, const std::string& position);

// A node config for benchmarks: one queue, no cron, pruner, lifeline or leadership.
oban::NodeConfig bench_node_config(const std::string& dsn, const std::string& prefix, const std::string& queue,
                                   int limit, const std::string& node_name);

double seconds_since(std::chrono::steady_clock::time_point start);

}  // namespace bench
