#include "graphile_peer.hpp"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "command.hpp"
#include "oban/json/json_object.hpp"

namespace bench {
namespace {

constexpr const char* kVersion = "0.17.3";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The driver prints one JSON object as its last line.
oban::json::JsonObject last_json_line(const std::string& output) {
  auto end = output.find_last_not_of("\n ");
  if (end == std::string::npos) throw std::invalid_argument("no output");
  const auto newline = output.rfind('\n', end);
  const auto begin = newline == std::string::npos ? 0 : newline + 1;
  return oban::json::JsonObject::parse(output.substr(begin, end + 1 - begin));
}

}  // namespace

// Issue 12's first configuration: one process at concurrency 50 (oban-cpp's limit), with
// the two batching options graphile-worker's performance page turns on for its figures
// (https://worker.graphile.org/docs/performance, "Batching"): localQueue.size 500 and
// completeJobBatchDelay/failJobBatchDelay 0; maxPoolSize concurrency + 1 as its perfTest does.
GraphileConfig graphile_single_process() {
  return {"1 process x 50, local queue 500, batched completion", 1, 50, 500, 51, 0};
}

// The configuration of graphile-worker's own published figures (the performance page's
// preset: concurrentJobs 24, maxPoolSize 25, localQueue 500, batch delays 0; "a pool of 4
// Graphile Worker instances, each with concurrency set to 24", as its perfTest/run.js runs).
GraphileConfig graphile_perf_preset() {
  return {"its perf preset: 4 processes x 24, local queue 500, batched completion", 4, 24, 500, 25, 0};
}

GraphilePeer::GraphilePeer(const Options& options) : modules_dir_(options.graphile_dir) {
  namespace fs = std::filesystem;
  if (!options.peer) {
    skip_reason_ = "--no-peer";
    return;
  }
  if (!fs::exists(OBAN_BENCH_GRAPHILE_DRIVER)) {
    skip_reason_ = std::string("the driver ") + OBAN_BENCH_GRAPHILE_DRIVER + " is missing";
    return;
  }
  if (const auto node = run_command("node --version 2>&1", 30); !node.ok()) {
    skip_reason_ = node.status == 127 ? "node is not on PATH" : "node --version: " + node.why();
    return;
  }
  const auto package = fs::path(modules_dir_) / "node_modules" / "graphile-worker" / "package.json";
  std::string version;
  try {
    if (fs::exists(package)) version = oban::json::JsonObject::parse(read_text(package)).string("version").value_or("");
  } catch (const std::exception&) {
  }
  if (version != kVersion) {
    skip_reason_ = std::string("graphile-worker ") + kVersion + " is not installed in " + modules_dir_ +
                   (version.empty() ? "" : " (found " + version + ")") +
                   "; tests/bench/run installs it with npm";
  }
}

std::string GraphilePeer::run_driver(Context& context, const std::string& mode, const GraphileConfig& config,
                                     const std::string& extra, int timeout_s) const {
  static std::atomic<int> counter{0};
  const std::string command =
      "node " + shell_quote(OBAN_BENCH_GRAPHILE_DRIVER) + " " + mode + " --modules " + shell_quote(modules_dir_) +
      " --host " + shell_quote(context.socket_dir) + " --port 5432 --user postgres --database postgres --schema graphile_" +
      std::to_string(counter++) + " --processes " + std::to_string(config.processes) + " --concurrency " +
      std::to_string(config.concurrency) + " --local-queue " + std::to_string(config.local_queue) + " --pool " +
      std::to_string(config.pool) + " --batch-delay " + std::to_string(config.batch_delay) + " " + extra;
  const auto run = run_command(command, timeout_s);
  const auto what = "graphile-worker " + mode + " (" + config.label + ")";
  try {
    const auto result = last_json_line(run.output);
    if (run.ok() && result.boolean("ok").value_or(false)) return result.text();
    context.results.fail(what + ": " + result.string("error").value_or(run.why()));
  } catch (const std::exception& e) {
    context.results.fail(what + ": driver " + run.why() + ", output not understood (" + e.what() + "): " + run.output);
  }
  return {};
}

Drained GraphilePeer::drain(Context& context, const GraphileConfig& config, int jobs) const {
  Drained out;
  const auto text = run_driver(context, "drain", config, "--jobs " + std::to_string(jobs), 120 + jobs / 250);
  if (text.empty()) return out;
  const auto result = oban::json::JsonObject::parse(text);
  out.jobs_per_s = result.number("jobs_per_s").value_or(-1);
  out.rss_max_mb = result.number("rss_max_mb").value_or(-1);
  out.rss_total_mb = result.number("rss_total_mb").value_or(-1);
  if (const auto wal = result.number("wal_bytes"); wal && jobs > 0) out.wal_bytes_per_job = *wal / jobs;
  return out;
}

GraphileLatency GraphilePeer::latency(Context& context, const GraphileConfig& config, int samples) const {
  GraphileLatency out;
  const auto text = run_driver(context, "latency", config, "--samples " + std::to_string(samples), 120 + samples / 10);
  if (text.empty()) return out;
  const auto result = oban::json::JsonObject::parse(text);
  out.p50_ms = result.number("p50_ms").value_or(-1);
  out.p99_ms = result.number("p99_ms").value_or(-1);
  out.insert_call_p50_ms = result.number("insert_call_p50_ms").value_or(-1);
  return out;
}

}  // namespace bench
