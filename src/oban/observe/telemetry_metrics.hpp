#pragma once
// The metrics that come from telemetry events, kept in a MetricsRegistry while attached:
//   oban_jobs_total{queue,worker,state}                job:stop / job:exception, Oban's states
//                                                      (success, snoozed, cancelled, failure, discard)
//   oban_job_duration_seconds{queue,worker,state}      how long perform ran
//   oban_job_queue_time_seconds{queue,worker}          scheduled_at to attempted_at
//   oban_engine_duration_seconds{operation}            engine spans: fetch_jobs, ack_jobs,
//                                                      insert_job, insert_all_jobs, stage_jobs
//   oban_engine_errors_total{operation}                their :exception events
//   oban_plugin_runs_total{plugin,result}              plugin:stop ("ok") / plugin:exception ("error")
//   oban_notifier_reconnects_total                     notifier:connect after a notifier:disconnect
// Events that name a node or a prefix other than ours are not counted, so several nodes in
// one process keep their own numbers.
#include <atomic>
#include <string>

#include "oban/core/telemetry.hpp"
#include "oban/observe/metrics_registry.hpp"

namespace oban::observe {

class TelemetryMetrics {
 public:
  // Registers the families above in `registry` (which must outlive this) and attaches.
  TelemetryMetrics(MetricsRegistry& registry, std::string node, std::string prefix);
  ~TelemetryMetrics();  // detaches
  TelemetryMetrics(const TelemetryMetrics&) = delete;
  TelemetryMetrics& operator=(const TelemetryMetrics&) = delete;

 private:
  void handle(const telemetry::Event& event);
  bool ours(const telemetry::Event& event) const;

  const std::string node_;
  const std::string prefix_;
  MetricFamily& jobs_;
  MetricFamily& job_duration_;
  MetricFamily& queue_time_;
  MetricFamily& engine_duration_;
  MetricFamily& engine_errors_;
  MetricFamily& plugin_runs_;
  MetricFamily& reconnects_;
  std::atomic<bool> lost_{false};  // a disconnect was seen; the next connect is a reconnect
  telemetry::HandlerId id_;
};

}  // namespace oban::observe
