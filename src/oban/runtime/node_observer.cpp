#include "oban/runtime/node_observer.hpp"

#include <utility>

#include "oban/json/json_value.hpp"
#include "oban/observe/sonar.hpp"
#include "oban/runtime/node_internals.hpp"

namespace oban {
namespace {

observe::HttpResponse json_response(bool ok, const Value::Object& body) {
  return {ok ? 200 : 503, "application/json", json::write(body) + "\n"};
}

}  // namespace

NodeObserver::NodeObserver(Node& node, ObserveOptions options)
    : node_(internals(node)),
      options_(std::move(options)),
      telemetry_(registry_, node.name(), node.config().prefix),
      // The engine's connect timeouts: a probe of an unreachable server fails as fast as the node would.
      probe_(node.config().dsn, pool_options(node.config()).connect, options_.readiness_interval) {
  auto& backlog = registry_.gauge("oban_completer_backlog", "Acks waiting to be written");
  auto& held = registry_.gauge("oban_completer_held_acks", "Acks whose write failed and is being retried");
  auto& pool_size = registry_.gauge("oban_pool_size", "Most database connections the node's pool opens");
  auto& pool_connections =
      registry_.gauge("oban_pool_connections", "Open pool connections by state (in_use, idle)", {"state"});
  auto& pool_waits = registry_.counter("oban_pool_waits_total", "Acquires that found no free connection and waited");
  auto& pool_timeouts = registry_.counter("oban_pool_wait_timeouts_total", "Acquires that gave up waiting");
  auto& pool_discarded =
      registry_.counter("oban_pool_discarded_total", "Connections closed because they broke or saw an error");
  auto& leader = registry_.gauge("oban_leader", "1 while this node leads its peers");
  auto& connected = registry_.gauge("oban_notifier_connected", "1 while the LISTEN connection is up");
  auto& nodes = registry_.gauge("oban_cluster_nodes", "Nodes whose Sonar pings this node heard recently, itself included");
  auto& database_up = registry_.gauge("oban_database_up", "1 while the readiness probe's query succeeds");
  auto& limit = registry_.gauge("oban_queue_limit", "Jobs a queue may run at once on this node", {"queue"});
  auto& running = registry_.gauge("oban_queue_running", "Jobs running now", {"queue"});
  auto& paused = registry_.gauge("oban_queue_paused", "1 while a queue is paused", {"queue"});
  registry_.add_collector([&, this] {
    if (const auto* completer = std::as_const(node_).completer()) {
      backlog.set({}, static_cast<double>(completer->pending()));
      held.set({}, static_cast<double>(completer->held()));
    }
    const auto stats = node_.pool().stats();
    pool_size.set({}, static_cast<double>(stats.size));
    pool_connections.set({"in_use"}, static_cast<double>(stats.in_use));
    pool_connections.set({"idle"}, static_cast<double>(stats.idle));
    pool_waits.set({}, static_cast<double>(stats.waits));
    pool_timeouts.set({}, static_cast<double>(stats.wait_timeouts));
    pool_discarded.set({}, static_cast<double>(stats.discarded));
    leader.set({}, node_.is_leader() ? 1 : 0);
    if (auto* notifier = node_.notifier()) connected.set({}, notifier->connected() ? 1 : 0);
    if (const auto* sonar = node_.sonar()) nodes.set({}, static_cast<double>(sonar->nodes().size()));
    database_up.set({}, probe_.answering(std::chrono::steady_clock::now()) ? 1 : 0);
    for (const auto& check : node_.checks()) {
      limit.set({check.queue}, check.limit);
      running.set({check.queue}, static_cast<double>(check.running.size()));
      paused.set({check.queue}, check.paused ? 1 : 0);
    }
  });
  probe_.start();
  server_ = std::make_unique<observe::HttpServer>(options_.bind_address, options_.port,
                                                  [this](const std::string& path) { return handle(path); });
}

NodeObserver::~NodeObserver() {
  server_.reset();
  probe_.stop();
}

observe::HttpResponse NodeObserver::handle(const std::string& path) {
  if (path == "/metrics") return {200, observe::MetricsRegistry::kContentType, registry_.render()};
  if (path == "/healthz") return health();
  if (path == "/readyz") return readiness();
  return {404, "text/plain; charset=utf-8", "not found: try /metrics, /healthz or /readyz\n"};
}

observe::HttpResponse NodeObserver::health() {
  const auto verdict =
      observe::liveness(node_.running(), node_.loops(), std::chrono::steady_clock::now(), options_.stuck_after);
  auto body = verdict.details;
  body["node"] = node_.name();
  return json_response(verdict.ok, body);
}

observe::HttpResponse NodeObserver::readiness() {
  const auto now = std::chrono::steady_clock::now();
  const bool running = node_.running();
  const bool database = probe_.answering(now);
  Value::Object body{{"node", node_.name()}, {"node_running", running}, {"database", probe_.details(now)}};
  bool ok = running && database;
  if (auto* notifier = node_.notifier()) {
    const bool listening = notifier->connected();
    body["listen_connection"] = Value::Object{{"ok", listening}};
    ok = ok && listening;
  }
  body["status"] = ok ? "ready" : "not ready";
  return json_response(ok, body);
}

}  // namespace oban
