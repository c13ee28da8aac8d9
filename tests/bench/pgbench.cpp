// Each pgbench script run is what one producer round does: a fetch transaction, then an
// ack transaction. pgbench runs a fixed number of script runs (-t), so it drains a table
// of exactly that many jobs, as the drains of oban-cpp and graphile-worker do.
#include "pgbench.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench_db.hpp"
#include "command.hpp"
#include "cpu_time.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "testkit/private_postgres.hpp"

namespace bench {
namespace {

std::string pgbench_script(const std::string& table, int batch) {
  // One line per command: the fetch returns the ids as one array (\gset keeps one row),
  // the ack completes them. -M prepared binds :ids as a parameter, as Postgrex does.
  std::ostringstream s;
  s << "WITH subset AS (SELECT so.id AS id FROM " << table
    << " AS so WHERE (so.state = 'available') AND (so.queue = 'bench') ORDER BY so.priority, so.scheduled_at, so.id"
    << " LIMIT " << batch << " FOR UPDATE SKIP LOCKED), fetched AS (UPDATE " << table
    << " AS o SET state = 'executing', attempted_at = timezone('UTC', now()),"
    << " attempted_by = ARRAY['pgbench', 'pgbench-producer'], attempt = o.attempt + 1 FROM subset AS f"
    << " WHERE (o.id = f.id) AND (o.attempt < o.max_attempts) RETURNING o.*)"
    << " SELECT coalesce(array_agg(id), '{}')::text AS ids FROM fetched \\gset\n";
  s << "UPDATE " << table
    << " AS o SET state = 'completed', completed_at = timezone('UTC', now()) WHERE o.id = ANY(:ids::bigint[]);\n";
  return s.str();
}

}  // namespace

Drained pgbench_drain(Context& context, int batch, int clients, int jobs) {
  Drained out;
  const int runs_per_client = (jobs + clients * batch - 1) / (clients * batch);
  const int total = runs_per_client * clients * batch;
  const auto what = "pgbench " + std::to_string(batch) + " per statement, " + std::to_string(clients) + " clients";
  const auto prefix = fresh_schema(context.dsn, "pgbench_" + std::to_string(batch));
  auto conn = oban::db::connect(context.dsn);
  insert_jobs(*conn, prefix, "bench", total);
  settle_before_drain(*conn, prefix);
  const auto script_path = std::filesystem::temp_directory_path() / ("oban-bench-" + prefix + ".sql");
  {
    std::ofstream script{script_path};
    script << pgbench_script(oban::db::qualified(prefix, "oban_jobs"), batch);
  }
  const std::string command = shell_quote(testkit::postgres_bin_dir() + "/pgbench") + " -n -M prepared -c " +
                              std::to_string(clients) + " -j " + std::to_string(clients) + " -t " +
                              std::to_string(runs_per_client) + " -f " + shell_quote(script_path.string()) +
                              " -h " + shell_quote(context.socket_dir) + " -U postgres postgres 2>&1";
  // One job per statement is bound by commits (two per job, each waiting for the WAL
  // flush): allow for a slow, shared disk.
  const auto wal_start = wal_position(*conn);
  const double server_cpu_start = server_cpu_seconds(*conn);
  const double client_cpu_start = client_cpu_seconds();
  const auto run = run_command(command, 120 + total / (batch == 1 ? 25 : 500));
  const double client_cpu = client_cpu_seconds() - client_cpu_start;
  const double server_cpu = server_cpu_seconds(*conn) - server_cpu_start;
  std::filesystem::remove(script_path);
  if (!run.ok()) {
    context.results.fail(what + ": pgbench " + run.why() + ": " + run.output);
    return out;
  }
  out.wal_bytes_per_job = wal_bytes_since(*conn, wal_start) / total;
  if (server_cpu_start >= 0) out.server_cpu_us_per_job = 1e6 * server_cpu / total;
  out.client_cpu_us_per_job = 1e6 * client_cpu / total;
  // tps counts script runs per second without the connection set-up; each run moves `batch` jobs.
  const auto at = run.output.find("tps = ");
  const auto completed = count_jobs(*conn, prefix, "state = 'completed'");
  if (at == std::string::npos || completed != total) {
    context.results.fail(what + ": " + std::to_string(completed) + " of " + std::to_string(total) +
                         " jobs completed: " + run.output);
    return out;
  }
  out.jobs_per_s = std::stod(run.output.substr(at + 6)) * batch;
  return out;
}

}  // namespace bench
