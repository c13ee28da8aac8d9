#include "bench_db.hpp"

#include <atomic>
#include <stdexcept>

#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/schema.hpp"
#include "rindle/rindle_schema.hpp"

namespace bench {

std::string fresh_schema(const std::string& dsn, const std::string& hint, bool with_rindle) {
  static std::atomic<int> counter{0};
  const std::string prefix = hint + "_" + std::to_string(counter++);
  auto conn = oban::db::connect(dsn);
  {
    pqxx::work tx{*conn};
    tx.exec("DROP SCHEMA IF EXISTS " + oban::db::quote_ident(prefix) + " CASCADE");
    tx.exec("CREATE SCHEMA " + oban::db::quote_ident(prefix));
    tx.commit();
  }
  oban::db::migrate(*conn, prefix);
  if (with_rindle) rindle::install_rindle_tables(*conn, prefix);
  return prefix;
}

void insert_jobs(pqxx::connection& conn, const std::string& prefix, const std::string& queue, int count,
                 const std::string& state) {
  std::string columns = "state, queue, worker, args, max_attempts";
  std::string values = "'available', $1, $2, jsonb_build_object('n', g), 20";
  if (state == "completed") {
    columns += ", attempt, attempted_at, completed_at, attempted_by";
    values =
        "'completed', $1, $2, jsonb_build_object('n', g), 20, 1, timezone('UTC', now()), timezone('UTC', now()),"
        " ARRAY['bench', 'bench-producer']";
  } else if (state != "available") {
    throw std::invalid_argument("insert_jobs: state " + state);
  }
  pqxx::work tx{conn};
  tx.exec_params("INSERT INTO " + oban::db::qualified(prefix, "oban_jobs") + " (" + columns + ") SELECT " + values +
                     " FROM generate_series(1, $3) AS g",
                 queue, std::string(kNoopWorker), count);
  tx.commit();
}

void settle_before_drain(pqxx::connection& conn, const std::string& prefix) {
  pqxx::nontransaction tx{conn};
  tx.exec("VACUUM ANALYZE " + oban::db::qualified(prefix, "oban_jobs"));
  tx.exec("CHECKPOINT");
}

std::int64_t count_jobs(pqxx::connection& conn, const std::string& prefix, const std::string& where) {
  pqxx::read_transaction tx{conn};
  return tx.exec1("SELECT count(*) FROM " + oban::db::qualified(prefix, "oban_jobs") + " WHERE " + where)[0]
      .as<std::int64_t>();
}

std::int64_t min_job_id(pqxx::connection& conn, const std::string& prefix) {
  pqxx::read_transaction tx{conn};
  return tx.exec1("SELECT coalesce(min(id), 0) FROM " + oban::db::qualified(prefix, "oban_jobs"))[0]
      .as<std::int64_t>();
}

std::string wal_position(pqxx::connection& conn) {
  pqxx::nontransaction tx{conn};
  return tx.exec1("SELECT pg_current_wal_lsn()::text")[0].as<std::string>();
}

double wal_bytes_since(pqxx::connection& conn, const std::string& position) {
  pqxx::nontransaction tx{conn};
  return tx.exec_params1("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8", position)[0].as<double>();
}

oban::NodeConfig bench_node_config(const std::string& dsn, const std::string& prefix, const std::string& queue,
                                   int limit, const std::string& node_name) {
  oban::NodeConfig config;
  config.dsn = dsn;
  config.prefix = prefix;
  config.node = node_name;
  config.queues = {{queue, limit}};
  config.shutdown_grace = std::chrono::milliseconds{5000};
  config.leadership = false;
  config.pruner = false;
  config.lifeline = false;
  return config;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace bench
