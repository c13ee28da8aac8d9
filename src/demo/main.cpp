// rindle-demo: the whole thing on one machine. A private PostgreSQL, Oban's schema and
// Rindle's tables, a few hundred media_provider_assets rows stuck in processing and
// uploading, a fake Mux on loopback, and two `rindle-worker run` processes (the binary next
// to this one). It shows progress while they sync, prints a summary table, stops the nodes
// and exits. A separate program so the production binary carries no test kit.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <thread>

#include "rindle/rindle_schema.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/schema.hpp"
#include "testkit/fake_mux.hpp"
#include "testkit/private_postgres.hpp"

namespace po = boost::program_options;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTokenId = "demo-token-id";
constexpr const char* kTokenSecret = "demo-token-secret";

// What the fake Mux answers for row i: most assets are ready, some failed, a few are
// missing, rate-limited once, failing once, or still preparing.
void script_asset(testkit::FakeMux& mux, const std::string& id, int i) {
  const int bucket = i % 40;
  if (bucket < 26) {
    mux.set_asset(id, "ready", {"play-" + std::to_string(i)});
  } else if (bucket < 30) {
    mux.set_asset(id, "errored", {});
  } else if (bucket < 32) {
    mux.set_not_found(id);
  } else if (bucket < 34) {
    mux.set_rate_limited(id, 2, 1);
    mux.set_asset(id, "ready", {"play-" + std::to_string(i)});
  } else if (bucket < 36) {
    mux.set_server_error(id, 503, 1);
    mux.set_asset(id, "ready", {"play-" + std::to_string(i)});
  } else if (bucket < 38) {
    mux.set_asset(id, "ready", {"play-" + std::to_string(i)});
    mux.set_delay(id, 300ms);
  } else {
    mux.set_asset(id, "preparing", {});
  }
}

// Rows whose Mux asset stays "preparing" stay in processing: they are the expected rest.
bool stays_in_flight(int i) { return i % 40 >= 38; }

void seed_rows(pqxx::connection& conn, const std::string& schema, int rows) {
  pqxx::work tx{conn};
  const auto assets = oban::db::qualified(schema, "media_assets");
  const auto providers = oban::db::qualified(schema, "media_provider_assets");
  // Untouched for 40 s (past the demo's 5 s floor); every 25th row for 3 h (past the stuck threshold).
  tx.exec_params("INSERT INTO " + assets +
                     " (id, state, storage_key, profile, kind, inserted_at, updated_at)"
                     " SELECT md5('asset' || i)::uuid, 'available', 'media/demo-' || i, 'video', 'video',"
                     " timezone('UTC', now()) - interval '1 day', timezone('UTC', now()) - interval '1 day'"
                     " FROM generate_series(0, $1 - 1) AS i",
                 rows);
  tx.exec_params("INSERT INTO " + providers +
                     " (id, asset_id, profile, provider_name, provider_asset_id, state, inserted_at, updated_at)"
                     " SELECT md5('provider' || i)::uuid, md5('asset' || i)::uuid, 'video', 'mux',"
                     " 'demo-asset-' || lpad(i::text, 4, '0'),"
                     " CASE WHEN i % 3 = 0 THEN 'uploading' ELSE 'processing' END,"
                     " timezone('UTC', now()) - interval '1 day',"
                     " timezone('UTC', now()) - CASE WHEN i % 25 = 24 THEN interval '3 hours' ELSE interval '40 seconds' END"
                     " FROM generate_series(0, $1 - 1) AS i",
                 rows);
  tx.commit();
}

pid_t spawn_node(const std::string& worker, const std::string& dsn, const std::string& mux_url, int index,
                 const std::string& log_path) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the demo
  if (FILE* log = std::fopen(log_path.c_str(), "w")) {
    dup2(fileno(log), STDOUT_FILENO);
    dup2(fileno(log), STDERR_FILENO);
  }
  setenv("DATABASE_URL", dsn.c_str(), 1);
  setenv("RINDLE_MUX_BASE_URL", mux_url.c_str(), 1);
  setenv("RINDLE_MUX_TOKEN_ID", kTokenId, 1);
  setenv("RINDLE_MUX_TOKEN_SECRET", kTokenSecret, 1);
  setenv("RINDLE_PROVIDER_POLLING_FLOOR_SECONDS", "5", 1);
  setenv("OBAN_SHUTDOWN_GRACE", "5", 1);
  const std::string node = "demo-node-" + std::to_string(index);
  execl(worker.c_str(), worker.c_str(), "run", "--node", node.c_str(), "--queues", "rindle_provider:4",
        static_cast<char*>(nullptr));
  _exit(127);
}

using Counts = std::map<std::string, long>;

Counts count_by(pqxx::connection& conn, const std::string& sql) {
  pqxx::read_transaction tx{conn};
  Counts counts;
  for (const auto& row : tx.exec(sql)) counts[row[0].c_str()] = row[1].as<long>();
  return counts;
}

std::string line(const Counts& counts) {
  std::string out;
  for (const auto& [name, count] : counts) out += name + " " + std::to_string(count) + "  ";
  return out;
}

long sum(const Counts& counts, std::initializer_list<const char*> keys) {
  long total = 0;
  for (const char* key : keys) {
    if (auto found = counts.find(key); found != counts.end()) total += found->second;
  }
  return total;
}

void print_table(const std::string& title, const Counts& counts) {
  std::cout << "\n" << title << "\n";
  for (const auto& [name, count] : counts) std::cout << "  " << std::right << std::setw(6) << count << "  " << name << "\n";
}

// The rindle-worker binary built beside this one.
std::string rindle_worker_path() {
  char self[4096] = {};
  if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0) throw std::runtime_error("cannot find own executable");
  std::string path = self;
  path = path.substr(0, path.rfind('/') + 1) + "rindle-worker";
  if (access(path.c_str(), X_OK) != 0) throw std::runtime_error("no rindle-worker beside rindle-demo at " + path);
  return path;
}

int demo(int argc, char** argv) {
  po::options_description options{"rindle-demo: Rindle's Mux sync end to end on this machine"};
  options.add_options()
      ("help,h", "show this help")
      ("rows", po::value<int>()->default_value(240), "media_provider_assets rows to sync")
      ("nodes", po::value<int>()->default_value(2), "rindle-worker processes")
      ("timeout", po::value<int>()->default_value(150), "seconds before giving up");
  po::variables_map vars;
  po::store(po::parse_command_line(argc, argv, options), vars);
  if (vars.count("help")) {
    std::cout << options << "\n";
    return 0;
  }
  po::notify(vars);
  const int rows = vars["rows"].as<int>();
  const int nodes = vars["nodes"].as<int>();
  const auto timeout = std::chrono::seconds{vars["timeout"].as<int>()};
  const std::string schema = "public";

  std::cout << "Starting a private PostgreSQL..." << std::endl;
  testkit::PrivatePostgres postgres;
  auto conn = oban::db::connect(postgres.dsn());
  std::cout << oban::db::migrate(*conn, schema).message << "\n";
  rindle::install_rindle_tables(*conn, schema);
  seed_rows(*conn, schema, rows);

  testkit::FakeMux mux{kTokenId, kTokenSecret};
  int expected_in_flight = 0;
  for (int i = 0; i < rows; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "demo-asset-%04d", i);
    script_asset(mux, id, i);
    // Rows past the stuck threshold end errored whatever Mux says.
    if (stays_in_flight(i) && i % 25 != 24) ++expected_in_flight;
  }
  std::cout << "Seeded " << rows << " provider assets; fake Mux at " << mux.base_url() << "\n";

  const std::string worker = rindle_worker_path();
  const std::string log_dir = postgres.socket_dir();
  std::vector<pid_t> children;
  for (int n = 1; n <= nodes; ++n) {
    const auto log = log_dir + "/node-" + std::to_string(n) + ".log";
    children.push_back(spawn_node(worker, postgres.dsn(), mux.base_url(), n, log));
    std::cout << "Started rindle-worker run --node demo-node-" << n << " (log: " << log << ")\n";
  }

  // No job is inserted by hand: the node that wins the election runs cron for the current
  // minute at once (its catch-up on gaining leadership), then at each minute boundary.

  const auto rows_sql = "SELECT state, count(*) FROM " + oban::db::qualified(schema, "media_provider_assets") + " GROUP BY 1";
  const auto jobs_sql = "SELECT state::text, count(*) FROM " + oban::db::qualified(schema, "oban_jobs") + " GROUP BY 1";
  const auto started = std::chrono::steady_clock::now();
  bool done = false;
  while (!done && std::chrono::steady_clock::now() - started < timeout) {
    std::this_thread::sleep_for(2s);
    const auto row_counts = count_by(*conn, rows_sql);
    const auto job_counts = count_by(*conn, jobs_sql);
    const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
    std::cout << "t=" << std::setw(3) << elapsed.count() << "s  rows: " << line(row_counts) << "| jobs: " << line(job_counts)
              << "| mux requests " << mux.request_count() << std::endl;
    done = sum(row_counts, {"processing", "uploading"}) <= expected_in_flight &&
           sum(job_counts, {"available", "executing", "retryable", "scheduled"}) == 0;
  }

  std::cout << "\nStopping the nodes (SIGTERM)..." << std::endl;
  for (pid_t child : children) kill(child, SIGTERM);
  int clean_exits = 0;
  for (pid_t child : children) {
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ++clean_exits;
  }

  const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  std::cout << "\n=== Summary after " << elapsed.count() << " s ===";
  print_table("media_provider_assets by state (all started in processing/uploading):", count_by(*conn, rows_sql));
  print_table("last_sync_error:",
              count_by(*conn, "SELECT coalesce(last_sync_error, '(none)'), count(*) FROM " +
                                  oban::db::qualified(schema, "media_provider_assets") + " GROUP BY 1"));
  print_table("oban_jobs by worker and state:",
              count_by(*conn, "SELECT worker || ' ' || state, count(*) FROM " +
                                  oban::db::qualified(schema, "oban_jobs") + " GROUP BY 1"));
  print_table("jobs run per node (attempted_by[1]):",
              count_by(*conn, "SELECT attempted_by[1], count(*) FROM " + oban::db::qualified(schema, "oban_jobs") +
                                  " WHERE attempted_by IS NOT NULL GROUP BY 1"));
  std::cout << "\n  Mux GET requests: " << mux.request_count() << "\n  Nodes that exited cleanly: " << clean_exits
            << " of " << nodes << "\n  Node logs: " << log_dir << "/node-*.log (removed on exit)\n";
  std::cout << (done ? "\nAll rows synced.\n" : "\nTimed out before every row settled.\n");
  return done && clean_exits == nodes ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return demo(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "rindle-demo: " << e.what() << "\n";
    return 1;
  }
}
