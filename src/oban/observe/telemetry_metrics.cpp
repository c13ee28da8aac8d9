#include "oban/observe/telemetry_metrics.hpp"

#include <optional>

namespace oban::observe {
namespace {

// Jobs run from milliseconds (a no-op) to minutes (a Mux sync under rate limits).
const std::vector<double> kJobBuckets{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
// A statement on a healthy database takes a millisecond or so; seconds mean trouble.
const std::vector<double> kEngineBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

std::string text(const Value::Object& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end()) return {};
  const auto* value = found->second.if_string();
  return value ? *value : std::string{};
}

// A measurement in ns, as seconds; nullopt when absent.
std::optional<double> seconds(const Value::Object& measurements, const char* key) {
  const auto found = measurements.find(key);
  if (found == measurements.end()) return std::nullopt;
  if (const auto* ns = found->second.if_integer()) return static_cast<double>(*ns) / 1e9;
  return std::nullopt;
}

}  // namespace

TelemetryMetrics::TelemetryMetrics(MetricsRegistry& registry, std::string node, std::string prefix)
    : node_(std::move(node)),
      prefix_(std::move(prefix)),
      jobs_(registry.counter("oban_jobs_total", "Jobs run to an outcome, by queue, worker and Oban's state",
                             {"queue", "worker", "state"})),
      job_duration_(registry.histogram("oban_job_duration_seconds", "How long perform ran",
                                       {"queue", "worker", "state"}, kJobBuckets)),
      queue_time_(registry.histogram("oban_job_queue_time_seconds", "From scheduled_at to attempted_at",
                                     {"queue", "worker"}, kJobBuckets)),
      engine_duration_(registry.histogram("oban_engine_duration_seconds",
                                          "Engine operations (fetch_jobs, ack_jobs, insert_job, insert_all_jobs, "
                                          "stage_jobs) that succeeded",
                                          {"operation"}, kEngineBuckets)),
      engine_errors_(registry.counter("oban_engine_errors_total", "Engine operations that failed", {"operation"})),
      plugin_runs_(registry.counter("oban_plugin_runs_total", "Plugin runs by result (ok, error)",
                                    {"plugin", "result"})),
      reconnects_(registry.counter("oban_notifier_reconnects_total",
                                   "Times the LISTEN connection was re-established")),
      id_(telemetry::attach({"job:stop", "job:exception", "engine:", "plugin:stop", "plugin:exception",
                             "notifier:connect", "notifier:disconnect"},
                            [this](const telemetry::Event& event) { handle(event); })) {}

TelemetryMetrics::~TelemetryMetrics() { telemetry::detach(id_); }

bool TelemetryMetrics::ours(const telemetry::Event& event) const {
  const auto node = text(event.metadata, "node");
  const auto prefix = text(event.metadata, "prefix");
  return (node.empty() || node == node_) && (prefix.empty() || prefix == prefix_);
}

void TelemetryMetrics::handle(const telemetry::Event& event) {
  if (!ours(event)) return;
  const auto& name = event.name;
  if (name == "job:stop" || name == "job:exception") {
    const auto queue = text(event.metadata, "queue");
    const auto worker = text(event.metadata, "worker");
    const auto state = text(event.metadata, "state");
    jobs_.add({queue, worker, state}, 1);
    if (auto duration = seconds(event.measurements, "duration")) job_duration_.observe({queue, worker, state}, *duration);
    if (auto waited = seconds(event.measurements, "queue_time")) queue_time_.observe({queue, worker}, *waited);
  } else if (name.starts_with("engine:")) {
    // "engine:<operation>:stop" / "engine:<operation>:exception"; ":start" and others are not measured.
    const auto last = name.rfind(':');
    if (last <= 7) return;
    const auto operation = name.substr(7, last - 7);
    const auto suffix = name.substr(last + 1);
    if (suffix == "stop") {
      if (auto duration = seconds(event.measurements, "duration")) engine_duration_.observe({operation}, *duration);
    } else if (suffix == "exception") {
      engine_errors_.add({operation}, 1);
    }
  } else if (name == "plugin:stop" || name == "plugin:exception") {
    plugin_runs_.add({text(event.metadata, "plugin"), name == "plugin:stop" ? "ok" : "error"}, 1);
  } else if (name == "notifier:disconnect") {
    lost_ = true;
  } else if (name == "notifier:connect") {
    if (lost_.exchange(false)) reconnects_.add({}, 1);
  }
}

}  // namespace oban::observe
