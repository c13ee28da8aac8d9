// oban-bench: starts a private PostgreSQL (fsync on), runs every measurement, prints a
// table and writes the figures as one flat JSON object. Exits 1 when any measurement
// failed (a drain that did not complete, a job run twice...), 2 for a bad command line.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "bench_context.hpp"
#include "bench_db.hpp"
#include "oban/runtime/default_logger.hpp"
#include "targets.hpp"
#include "testkit/private_postgres.hpp"

namespace {

// The 1-minute load average: the machine is shared, so the table says how busy it was.
std::string load_average() {
  std::ifstream in{"/proc/loadavg"};
  std::string one;
  in >> one;
  return one.empty() ? "?" : one;
}

void section(bench::Context& context, const std::string& name, void (*run)(bench::Context&)) {
  if (!context.options.wants(name)) return;
  const auto start = std::chrono::steady_clock::now();
  std::cerr << "oban-bench: " << name << "..." << std::flush;
  try {
    run(context);
  } catch (const std::exception& e) {
    context.results.fail(name + ": " + e.what());
  }
  std::cerr << " " << static_cast<int>(bench::seconds_since(start)) << " s\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--child-drain") == 0) return bench::child_drain_main(argc, argv);
  bench::Options options;
  try {
    options = bench::parse_options(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  // Warnings and errors of the nodes it runs, on stderr (the figures go to stdout).
  const oban::DefaultLogger logger{{.level = oban::telemetry::Level::warning}};
  const auto start = std::chrono::steady_clock::now();
  const auto load_before = load_average();
  bench::Results results;
  {
    testkit::PrivatePostgresOptions server_options;
    server_options.fsync = true;
    testkit::PrivatePostgres server{server_options};
    bench::Context context{options, server.dsn(), server.socket_dir(), results};
    section(context, "throughput", bench::run_throughput);
    section(context, "latency", bench::run_latency);
    section(context, "unique", bench::run_unique);
    section(context, "fanout", bench::run_fanout);
    section(context, "memory", bench::run_memory);
    section(context, "growth", bench::run_growth);
  }
  results.add({"run", "bench_seconds", bench::seconds_since(start), "s",
               (options.quick ? "--quick sizes, " : "full sizes, ") + std::to_string(options.rounds) +
                   " interleaved round(s); load average before " + load_before + ", after " + load_average()});
  bench::judge_issue12_targets(results);
  std::cout << results.table() << std::flush;
  if (!options.out.empty()) {
    const std::filesystem::path out{options.out};
    if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
    std::ofstream{out} << results.json();
    std::cout << "figures written to " << out.string() << "\n";
  }
  return results.failures().empty() ? 0 : 1;
}
