#pragma once
// A node seen from outside: Prometheus metrics on /metrics, liveness on /healthz and
// readiness on /readyz, served over HTTP (rindle-worker --metrics-port). Create it before
// Node::start() so the first jobs are counted; destroy it before the node.
//
// /metrics    the telemetry metrics (observe/telemetry_metrics.hpp) and, sampled at each
//             scrape: oban_completer_backlog, oban_completer_held_acks, oban_pool_size,
//             oban_pool_connections{state="in_use"|"idle"}, oban_pool_waits_total,
//             oban_pool_wait_timeouts_total, oban_pool_discarded_total, oban_leader,
//             oban_notifier_connected, oban_cluster_nodes (Sonar), oban_database_up,
//             oban_queue_limit / oban_queue_running / oban_queue_paused {queue}.
// /healthz    200 while the node runs and none of its loops is stuck in a step for longer
//             than stuck_after; 503 otherwise. A database outage does not fail it (the loops
//             keep retrying): restarting would not help.
// /readyz     200 while the database answers (a background probe) and, with notifications,
//             the LISTEN connection is up; 503 otherwise.
// Bodies of /healthz and /readyz are JSON saying why.
#include <chrono>
#include <memory>
#include <string>

#include "oban/observe/health.hpp"
#include "oban/observe/http_server.hpp"
#include "oban/observe/metrics_registry.hpp"
#include "oban/observe/telemetry_metrics.hpp"
#include "oban/runtime/node.hpp"

namespace oban {

struct ObserveOptions {
  std::string bind_address = "127.0.0.1";            // --metrics-bind
  unsigned short port = 0;                           // --metrics-port; 0 here = any free port
  std::chrono::milliseconds stuck_after{60000};      // a loop in one step this long fails /healthz
  std::chrono::milliseconds readiness_interval{5000};  // how often the database is probed
};

class NodeObserver {
 public:
  // Binds the port (throws std::runtime_error naming the address when it cannot) and
  // starts the probe. `node` must outlive this.
  NodeObserver(Node& node, ObserveOptions options);
  ~NodeObserver();
  NodeObserver(const NodeObserver&) = delete;
  NodeObserver& operator=(const NodeObserver&) = delete;

  unsigned short port() const { return server_->port(); }
  observe::MetricsRegistry& registry() { return registry_; }

  // What a GET of `path` answers (the server's handler).
  observe::HttpResponse handle(const std::string& path);

 private:
  observe::HttpResponse health();
  observe::HttpResponse readiness();

  NodeInternals& node_;
  const ObserveOptions options_;
  observe::MetricsRegistry registry_;
  observe::TelemetryMetrics telemetry_;
  observe::DatabaseProbe probe_;
  std::unique_ptr<observe::HttpServer> server_;  // last: stopped first
};

}  // namespace oban
