#include "bench_options.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>

namespace bench {
namespace {

constexpr const char* kUsage =
    "usage: oban-bench [--quick] [--out PATH] [--only SECTION[,SECTION...]] [--drain-jobs N]\n"
    "                  [--pgbench-seconds N] [--pgbench-clients N] [--growth-rows N]\n"
    "sections: baseline, drain, latency, unique, fanout, memory, growth";

int positive(std::string_view flag, const std::string& value) {
  try {
    const int n = std::stoi(value);
    if (n > 0) return n;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(std::string(flag) + " needs a positive number\n" + kUsage);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto end = comma == std::string::npos ? text.size() : comma;
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void scale_down(Options& o) {
  o.drain_jobs = 500;
  o.pgbench_seconds = 2;
  o.pgbench_single_jobs = 5000;
  o.pgbench_batched_jobs = 100000;
  o.latency_notify_samples = 50;
  o.latency_poll_samples = 3;
  o.unique_single = 100;
  o.unique_batch = 500;
  o.fanout_rows = 500;
  o.memory_jobs = 500;
  o.growth_rows = 5000;
  o.growth_fetch_jobs = 500;
}

}  // namespace

bool Options::wants(const std::string& section) const {
  return only.empty() || std::find(only.begin(), only.end(), section) != only.end();
}

Options parse_options(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  // --quick first, so explicit sizes given with it still win.
  if (std::find(args.begin(), args.end(), "--quick") != args.end()) {
    o.quick = true;
    scale_down(o);
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& flag = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw std::invalid_argument(flag + " needs a value\n" + kUsage);
      return args[++i];
    };
    if (flag == "--quick") continue;
    if (flag == "--out") o.out = value();
    else if (flag == "--only") o.only = split(value());
    else if (flag == "--drain-jobs") o.drain_jobs = o.memory_jobs = positive(flag, value());
    else if (flag == "--pgbench-seconds") o.pgbench_seconds = positive(flag, value());
    else if (flag == "--pgbench-clients") o.pgbench_clients = positive(flag, value());
    else if (flag == "--growth-rows") o.growth_rows = positive(flag, value());
    else if (flag == "--help" || flag == "-h") throw std::invalid_argument(kUsage);
    else throw std::invalid_argument("unknown option " + flag + "\n" + kUsage);
  }
  return o;
}

}  // namespace bench
