// The raw SQL limit: pgbench running Oban's fetch CTE and the complete UPDATE against a
// real oban_jobs table, 1 and 50 jobs per fetch and per ack. Each script run is what one
// producer round does: a fetch transaction, then an ack transaction.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "bench_context.hpp"
#include "bench_db.hpp"
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

struct PgbenchRun {
  bool ok = false;
  double jobs_per_s = 0;
  double tps = 0;
  std::string output;
};

PgbenchRun run_pgbench(Context& context, int batch, int jobs) {
  const auto prefix = fresh_schema(context.dsn, batch == 1 ? "pgbench_single" : "pgbench_batched");
  auto conn = oban::db::connect(context.dsn);
  insert_jobs(*conn, prefix, "bench", jobs);
  {
    pqxx::nontransaction tx{*conn};
    tx.exec("VACUUM ANALYZE " + oban::db::qualified(prefix, "oban_jobs"));
  }
  const auto script_path = std::filesystem::temp_directory_path() / ("oban-bench-" + prefix + ".sql");
  {
    std::ofstream script{script_path};
    script << pgbench_script(oban::db::qualified(prefix, "oban_jobs"), batch);
  }
  const auto& o = context.options;
  const std::string command = testkit::postgres_bin_dir() + "/pgbench -n -M prepared -c " +
                              std::to_string(o.pgbench_clients) + " -j " + std::to_string(o.pgbench_clients) +
                              " -T " + std::to_string(o.pgbench_seconds) + " -f " + script_path.string() + " -h " +
                              context.socket_dir + " -U postgres postgres 2>&1";
  PgbenchRun run;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe{popen(command.c_str(), "r"), pclose};
  if (!pipe) {
    context.results.fail("pgbench could not be started");
    return run;
  }
  char buffer[4096];
  while (const auto n = fread(buffer, 1, sizeof buffer, pipe.get())) run.output.append(buffer, n);
  const int status = pclose(pipe.release());
  std::filesystem::remove(script_path);
  if (status != 0) {
    context.results.fail("pgbench batch " + std::to_string(batch) + " failed: " + run.output);
    return run;
  }
  if (const auto at = run.output.find("tps = "); at != std::string::npos) run.tps = std::stod(run.output.substr(at + 6));
  const auto completed = count_jobs(*conn, prefix, "state = 'completed'");
  const auto left = count_jobs(*conn, prefix, "state = 'available'");
  if (left == 0) {
    context.results.fail("pgbench batch " + std::to_string(batch) + " ran out of jobs (pre-insert more)");
    return run;
  }
  run.jobs_per_s = static_cast<double>(completed) / o.pgbench_seconds;
  run.ok = completed > 0;
  if (!run.ok) context.results.fail("pgbench batch " + std::to_string(batch) + " completed no jobs");
  return run;
}

}  // namespace

void run_baseline(Context& context) {
  const auto clients = std::to_string(context.options.pgbench_clients) + " clients";
  const auto single = run_pgbench(context, 1, context.options.pgbench_single_jobs);
  if (single.ok) {
    context.results.add({"baseline (pgbench, fetch + ack SQL)", "baseline_single_jobs_per_s", single.jobs_per_s,
                         "jobs/s", "1 job per fetch and per ack, " + clients});
  }
  const auto batched = run_pgbench(context, 50, context.options.pgbench_batched_jobs);
  if (batched.ok) {
    context.results.add({"baseline (pgbench, fetch + ack SQL)", "baseline_batched_jobs_per_s", batched.jobs_per_s,
                         "jobs/s", "50 jobs per fetch and per ack, " + clients});
  }
}

}  // namespace bench
