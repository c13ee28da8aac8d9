#include "bench_options.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace bench {
namespace {

constexpr std::array<std::string_view, 6> kSections{"throughput", "latency", "unique", "fanout", "memory", "growth"};

constexpr const char* kUsage =
    "usage: oban-bench [--quick] [--out PATH] [--only SECTION[,SECTION...]] [--rounds N]\n"
    "                  [--drains KEY[,KEY...]]\n"
    "                  [--drain-jobs N] [--pgbench-clients N] [--growth-rows N]\n"
    "                  [--graphile-dir DIR] [--no-peer]\n"
    "sections: throughput (raw SQL, oban-cpp and graphile-worker drains, interleaved), latency,\n"
    "          unique, fanout, memory, growth\n"
    "--drains: in throughput, only the drains whose JSON key starts with a KEY (e.g.\n"
    "          drain_limit500,baseline_batched500), the side runs skipped: for quick A/B runs\n"
    "--graphile-dir: where graphile-worker 0.17.3 is installed (default: the cache\n"
    "          tests/bench/run installs it into); --no-peer: skip graphile-worker";

int positive(std::string_view flag, const std::string& value) {
  try {
    const int n = std::stoi(value);
    if (n > 0) return n;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(std::string(flag) + " needs a positive number\n" + kUsage);
}

std::vector<std::string> split_list(const std::string& text) {
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

std::vector<std::string> split_sections(const std::string& text) {
  auto out = split_list(text);
  for (const auto& section : out) {
    if (std::find(kSections.begin(), kSections.end(), section) == kSections.end()) {
      throw std::invalid_argument("--only: unknown section " + section + "\n" + kUsage);
    }
  }
  return out;
}

void scale_down(Options& o) {
  o.rounds = 1;
  o.drain_jobs = 1000;
  o.drain_limit10_jobs = 500;
  o.pgbench_single_jobs = 200;
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

bool Options::wants_drain(const std::string& key) const {
  return drains.empty() ||
         std::any_of(drains.begin(), drains.end(), [&](const std::string& d) { return key.starts_with(d); });
}

std::string default_graphile_dir() {
  std::string cache;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) cache = xdg;
  else if (const char* home = std::getenv("HOME"); home && *home) cache = std::string(home) + "/.cache";
  else cache = "/tmp";
  return cache + "/oban-cpp-bench/graphile-worker-0.17.3";
}

Options parse_options(int argc, char** argv) {
  Options o;
  o.graphile_dir = default_graphile_dir();
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
    else if (flag == "--only") o.only = split_sections(value());
    else if (flag == "--rounds") o.rounds = positive(flag, value());
    else if (flag == "--drains") o.drains = split_list(value());
    else if (flag == "--drain-jobs") o.drain_jobs = o.memory_jobs = positive(flag, value());
    else if (flag == "--pgbench-clients") o.pgbench_clients = positive(flag, value());
    else if (flag == "--growth-rows") o.growth_rows = positive(flag, value());
    else if (flag == "--graphile-dir") o.graphile_dir = value();
    else if (flag == "--no-peer") o.peer = false;
    else if (flag == "--help" || flag == "-h") throw std::invalid_argument(kUsage);
    else throw std::invalid_argument("unknown option " + flag + "\n" + kUsage);
  }
  return o;
}

}  // namespace bench
