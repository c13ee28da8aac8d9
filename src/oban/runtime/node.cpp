#include "oban/runtime/node_internals.hpp"

#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "oban/client/client_access.hpp"
#include "oban/core/telemetry.hpp"
#include "oban/db/schema.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/peer/peer.hpp"
#include "oban/plugins/cron.hpp"
#include "oban/plugins/lifeline.hpp"
#include "oban/plugins/plugin_runner.hpp"
#include "oban/plugins/pruner.hpp"
#include "oban/plugins/unknown_worker_watch.hpp"
#include "oban/json/json_object.hpp"
#include "oban/observe/gossip.hpp"
#include "oban/observe/sonar.hpp"
#include "oban/queue/signal.hpp"

namespace oban {
namespace {

// After the hard deadline, the completer's last chance to write what is left.
constexpr std::chrono::milliseconds kFinalAckWindow{2000};

}  // namespace

std::string default_node_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "localhost");
  std::string name = std::string{host} + "-" + std::to_string(getpid());
  for (auto& c : name) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') c = '_';
  }
  return name;
}

db::PoolOptions pool_options(const NodeConfig& config) {
  db::PoolOptions options;
  options.connect.connect_timeout = config.db_connect_timeout;
  options.connect.tcp_user_timeout = config.db_tcp_user_timeout;
  options.acquire_timeout = config.db_acquire_timeout;
  options.statement_timeout = config.db_statement_timeout;
  return options;
}

NodeInternals::NodeInternals(NodeConfig config, WorkerRegistry& registry, const Clock& clock)
    : config_(std::move(config)),
      registry_(registry),
      clock_(clock),
      store_(std::make_shared<const db::JobStore>(config_.prefix)),
      executor_(registry_) {
  if (config_.node.empty()) config_.node = default_node_name();
  // Each producer's fetches in flight and the completer's writes hold a connection while
  // they run; the stager and cluster duties borrow one briefly.
  const std::size_t pool_size = config_.pool_size > 0
                                    ? config_.pool_size
                                    : 2 * config_.queues.size() + queue::CompleterOptions{}.writers + 4;
  pool_ = std::make_shared<db::ConnectionPool>(config_.dsn, pool_size, pool_options(config_));
  if (config_.notifications) {
    notifier_ = std::make_unique<notify::Notifier>(config_.dsn, config_.prefix, config_.notifier);
  }
  std::vector<std::string> queue_names;
  for (const auto& [queue_name, limit] : config_.queues) queue_names.push_back(queue_name);
  client_ = ClientAccess::for_node(*pool_, config_.prefix, config_.node, std::move(queue_names), clock_);
}

NodeInternals::~NodeInternals() { stop(); }

void NodeInternals::set_leader_check(std::function<bool()> is_leader) { is_leader_ = std::move(is_leader); }

bool NodeInternals::is_leader() const {
  if (is_leader_) return is_leader_();
  return peer_ && peer_->is_leader();
}

std::vector<std::string> NodeInternals::idents() const {
  return {"Oban." + config_.node, config_.peer_name + "." + config_.node};
}

queue::Producer* NodeInternals::producer(const std::string& queue) {
  auto found = producers_.find(queue);
  return found == producers_.end() ? nullptr : found->second.get();
}

void NodeInternals::start() {
  if (started_) return;
  auto problems = config_.validate();
  if (config_.shutdown_grace.count() < 0) problems.push_back("shutdown grace must not be negative");
  if (config_.stage_interval.count() <= 0) problems.push_back("stage interval must be positive");
  if (config_.ack_batch_window.count() < 0) problems.push_back("ack batch window must not be negative");
  if (config_.shutdown_hard_deadline.count() < 0) problems.push_back("shutdown hard deadline must not be negative");
  if (config_.db_connect_timeout.count() <= 0) problems.push_back("database connect timeout must be positive");
  if (config_.db_acquire_timeout.count() <= 0) problems.push_back("database acquire timeout must be positive");
  if (config_.db_statement_timeout.count() < 0) problems.push_back("database statement timeout must not be negative");
  if (config_.db_tcp_user_timeout.count() < 0) problems.push_back("database TCP user timeout must not be negative");
  if (config_.ack_retry_max.count() <= 0) problems.push_back("ack retry maximum must be positive");
  if (!config_.queues.empty() && config_.only_registered_workers && registry_.empty()) {
    problems.push_back("queues are configured but no worker is registered");
  }
  if (!problems.empty()) {
    std::string message = "invalid node configuration:";
    for (const auto& problem : problems) message += "\n  - " + problem;
    throw std::invalid_argument(message);
  }
  int schema_version = 0;
  {
    auto lease = pool_->acquire();
    db::require_runnable_schema(*lease, config_.prefix);
    schema_version = db::schema_version(*lease, config_.prefix);
  }
  if (schema_version > db::kCurrentSchemaVersion) {
    telemetry::emit("node:schema_newer", telemetry::Level::warning,
                    {{"prefix", config_.prefix}, {"found", schema_version}, {"known", db::kCurrentSchemaVersion}}, {},
                    "Oban schema version " + std::to_string(schema_version) + " is newer than version " +
                        std::to_string(db::kCurrentSchemaVersion) +
                        ", the newest this node knows (Oban 2.23.1): it runs, writing rows as 2.23.1 does");
  }
  inserter_ = std::make_unique<Inserter>(*pool_, config_.prefix, clock_, schema_version);
  // Built before anything starts, so a bad crontab stops the node with nothing running.
  const auto leader = [this] { return is_leader(); };
  if (!config_.crontab.empty()) {
    cron_ = std::make_unique<plugins::Cron>(*pool_, *inserter_, registry_, config_.crontab, config_.cron_timezone,
                                            clock_, leader, config_.cron_delay);
  }
  if (config_.leadership) {
    peer::PeerConfig peer_config;
    peer_config.name = config_.peer_name;
    peer_config.node = config_.node;
    peer_config.prefix = config_.prefix;
    // Created before the notifier's threads can look at it; started with the other duties.
    peer_ = std::make_unique<peer::Peer>(*pool_, peer_config, clock_);
  }
  started_ = true;

  queue::CompleterOptions completer_options;
  completer_options.batch_window = config_.ack_batch_window;
  completer_options.max_retry = config_.ack_retry_max;
  completer_ = std::make_unique<queue::Completer>(*pool_, *store_, completer_options);
  completer_->start();

  for (const auto& [queue_name, limit] : config_.queues) {
    queue::ProducerConfig producer_config;
    producer_config.queue = queue_name;
    producer_config.limit = limit;
    producer_config.node = config_.node;
    producer_config.poll_interval = config_.poll_interval;
    producer_config.dispatch_cooldown = config_.dispatch_cooldown;
    producer_config.only_registered_workers = config_.only_registered_workers;
    producers_[queue_name] = std::make_unique<queue::Producer>(producer_config, pool_, store_, executor_, registry_,
                                                               *completer_, threads_, clock_);
  }

  if (notifier_ && config_.sonar) {
    observe::SonarConfig sonar_config;
    sonar_config.prefix = config_.prefix;
    sonar_config.node = config_.node;
    sonar_config.min_interval = config_.sonar_min_interval;
    sonar_config.max_interval = config_.sonar_max_interval;
    sonar_ = std::make_unique<observe::Sonar>(*pool_, sonar_config);
    sonar_runner_ = std::make_unique<plugins::PluginRunner>(*sonar_, nullptr);
  }
  if (config_.gossip) {
    // Sent even without LISTEN (pg_notify needs none), so Oban Web sees a polling node too.
    observe::GossipConfig gossip_config;
    gossip_config.prefix = config_.prefix;
    gossip_config.interval = config_.gossip_interval;
    gossip_ = std::make_unique<observe::Gossip>(*pool_, gossip_config, [this] { return checks(); });
    gossip_runner_ = std::make_unique<plugins::PluginRunner>(*gossip_, nullptr);
  }

  if (notifier_) {
    if (sonar_) notifier_->listen("sonar", [this](const std::string& json) { sonar_->handle_ping(json); });
    notifier_->listen("insert", [this](const std::string& json) { handle_insert(json); });
    notifier_->listen("signal", [this](const std::string& json) { handle_signal(json); });
    notifier_->listen("leader", [this](const std::string& json) {
      if (peer_) peer_->handle_leader_message(json);
    });
    // Anything may have been missed while disconnected: fetch at once.
    notifier_->on_reconnect([this] {
      for (auto& [name, producer] : producers_) producer->wake();
      // Ping once we can hear it, so the first status is not "isolated" for a missed echo.
      if (sonar_) {
        sonar_->rejoin();
        sonar_runner_->wake();
      }
    });
    notifier_->start();
  }
  for (auto& [name, producer] : producers_) producer->start();

  plugins::StagerConfig stager_config;
  stager_config.prefix = config_.prefix;
  stager_config.interval = config_.stage_interval;
  stager_config.notify = config_.notifications;
  stager_ = std::make_unique<plugins::Stager>(stager_config, *pool_, clock_, [this](const std::vector<std::string>& queues) {
    // Local wakeups too, so staged jobs run here without waiting for the notification.
    for (const auto& queue : queues) {
      if (auto* p = producer(queue)) p->wake();
    }
  });
  if (sonar_) {
    // Oban's mode switch: local staging when the Sonar says nobody hears us.
    stager_->follow([this] { return sonar_->status(); }, [this] { return is_leader(); }, config_.node);
  }
  start_cluster_duties();
  start_observers();
  up_ = true;
  Value::Object queues;
  for (const auto& [name, limit] : config_.queues) queues[name] = limit;
  telemetry::emit("node:start", telemetry::Level::info,
                  {{"node", config_.node}, {"prefix", config_.prefix}, {"queues", std::move(queues)},
                   {"notifications", config_.notifications}, {"peer", config_.peer_name}});
}

void NodeInternals::stop() noexcept {
  if (!started_ || stopped_) return;
  stopped_ = true;
  const auto grace = std::chrono::steady_clock::now() + config_.shutdown_grace;
  const auto hard = grace + config_.shutdown_hard_deadline;
  // Leader duties first (the peer resigns, so another node leads at once), then the queues.
  for (auto runner = runners_.rbegin(); runner != runners_.rend(); ++runner) (*runner)->stop();
  if (peer_) peer_->stop();
  // Producers drain in parallel, all within the one grace period and hard deadline.
  for (auto& [name, producer] : producers_) producer->begin_stop();
  for (auto& [name, producer] : producers_) producer->await_grace(grace);
  // The last check, as Oban's: the queues paused with shutdown_started_at, the orphans running.
  if (gossip_runner_) {
    gossip_runner_->stop();
    gossip_runner_->run_reported();
  }
  for (auto& [name, producer] : producers_) producer->finish_stop(hard);
  if (sonar_runner_) sonar_runner_->stop();
  // The last acks (and the releases of what was given up) get a short, bounded while.
  if (completer_) completer_->stop(std::max(hard, std::chrono::steady_clock::now()) + kFinalAckWindow);
  if (notifier_) notifier_->stop();
  threads_.shutdown(std::chrono::steady_clock::now() + std::chrono::milliseconds{100});
  telemetry::emit("node:stop", telemetry::Level::info,
                  {{"node", config_.node}, {"stragglers", static_cast<std::int64_t>(stragglers())}});
}

std::size_t NodeInternals::stragglers() const {
  std::size_t count = 0;
  for (const auto& [name, producer] : producers_) count += producer->stragglers();
  return count;
}

void NodeInternals::add_plugin(std::unique_ptr<plugins::Plugin> plugin) {
  if (started_) throw std::logic_error("add_plugin must be called before start()");
  extra_plugins_.push_back(std::move(plugin));
}

void NodeInternals::start_cluster_duties() {
  const auto leader = [this] { return is_leader(); };
  // Under its own election name the node touches only its own workers' rows.
  const db::WorkerScope scope =
      config_.joins_elixir_election() ? db::WorkerScope{} : db::WorkerScope{registry_.names()};
  if (config_.pruner_enabled()) {
    plugins::PrunerConfig pruner_config;
    pruner_config.prefix = config_.prefix;
    pruner_config.interval = config_.prune_interval;
    pruner_config.limit = config_.prune_limit;
    pruner_config.max_age = config_.prune_max_age;
    pruner_config.workers = scope;
    pruner_ = std::make_unique<plugins::Pruner>(*pool_, pruner_config, clock_);
  }
  if (config_.lifeline_enabled()) {
    plugins::LifelineConfig lifeline_config;
    lifeline_config.prefix = config_.prefix;
    lifeline_config.interval = config_.rescue_interval;
    lifeline_config.rescue_after = config_.rescue_after;
    lifeline_config.workers = scope;
    lifeline_ = std::make_unique<plugins::Lifeline>(*pool_, lifeline_config, clock_);
  }
  if (config_.unknown_worker_watch && !registry_.empty()) {
    plugins::UnknownWorkerWatchConfig watch_config;
    watch_config.prefix = config_.prefix;
    watch_config.node = config_.node;
    watch_config.workers = registry_.names();
    unknown_worker_watch_ = std::make_unique<plugins::UnknownWorkerWatch>(*pool_, watch_config, clock_);
  }
  report_plugin_settings();
  std::vector<plugins::Plugin*> plugins{stager_.get(), pruner_.get(), lifeline_.get(), cron_.get(),
                                        unknown_worker_watch_.get()};
  for (auto& extra : extra_plugins_) plugins.push_back(extra.get());
  for (auto* plugin : plugins) {
    if (!plugin) continue;
    runners_.push_back(std::make_unique<plugins::PluginRunner>(*plugin, leader));
    if (plugin == cron_.get()) cron_runner_ = runners_.back().get();
  }
  if (peer_) {
    peer_->on_change([this](bool leads) {
      // Catch up the current minute if its boundary passed while no node led.
      if (leads && cron_runner_) cron_runner_->run_reported();
    });
    peer_->start();
  }
  for (auto& runner : runners_) runner->start();
}

void NodeInternals::report_plugin_settings() const {
  // Joined as "Oban", a duty left off here lapses cluster-wide while this node leads.
  const bool lapsing = config_.leadership && config_.joins_elixir_election() &&
                       (!config_.pruner_enabled() || !config_.lifeline_enabled());
  telemetry::emit("node:plugins", lapsing ? telemetry::Level::warning : telemetry::Level::info,
                  plugin_settings(config_, registry_.names()), {},
                  lapsing ? "joined the Elixir election with the pruner or lifeline off: while this node leads, "
                            "no node of the cluster runs that plugin (turn it on with your Elixir plugin's settings)"
                          : "");
}

void NodeInternals::start_observers() {
  if (sonar_runner_) sonar_runner_->start();
  if (gossip_runner_) gossip_runner_->start();
}

std::vector<queue::ProducerCheck> NodeInternals::checks() const {
  std::vector<queue::ProducerCheck> checks;
  if (!up_) return checks;
  for (const auto& [name, producer] : producers_) checks.push_back(producer->check());
  return checks;
}

std::vector<core::LoopHealth> NodeInternals::loops() const {
  std::vector<core::LoopHealth> loops;
  if (!up_) return loops;
  for (const auto& writer : completer_->health()) loops.push_back(writer);
  for (const auto& [name, producer] : producers_) {
    for (const auto& lane : producer->health()) loops.push_back(lane);
  }
  if (notifier_) loops.push_back(notifier_->health());
  if (peer_) loops.push_back(peer_->health());
  for (const auto& runner : runners_) loops.push_back(runner->loop().health());
  if (sonar_runner_) loops.push_back(sonar_runner_->loop().health());
  if (gossip_runner_) loops.push_back(gossip_runner_->loop().health());
  return loops;
}

void NodeInternals::handle_insert(const std::string& json) {
  try {
    auto payload = json::JsonObject::parse(json);
    auto queue = payload.string("queue");
    if (!queue) return;
    if (auto* p = producer(*queue)) p->wake();
  } catch (const std::exception& e) {
    telemetry::emit("notifier:ignored", telemetry::Level::warning,
                    {{"channel", "insert"}, {"reason", "malformed"}, {"error", e.what()}});
  }
}

void NodeInternals::handle_signal(const std::string& json) {
  queue::Signal signal;
  try {
    signal = queue::parse_signal(json);
  } catch (const std::exception& e) {
    telemetry::emit("notifier:ignored", telemetry::Level::warning,
                    {{"channel", "signal"}, {"reason", "malformed"}, {"error", e.what()}});
    return;
  }
  if (!signal.addressed_to(idents())) return;
  if (signal.action == "pkill") {
    if (!signal.job_id) return;
    for (auto& [name, producer] : producers_) {
      if (producer->pkill(*signal.job_id)) break;
    }
    return;
  }
  for (auto& [name, producer] : producers_) {
    if (!signal.names_queue(name)) continue;
    if (signal.action == "pause") {
      producer->pause();
    } else if (signal.action == "resume") {
      producer->resume();
    } else if (signal.action == "scale") {
      if (signal.limit) producer->scale(*signal.limit, signal.local_only.value_or(false));
    } else {
      // start/stop of queues is the Midwife's job; this node runs the queues it was given.
      telemetry::emit("notifier:ignored", telemetry::Level::debug,
                      {{"channel", "signal"}, {"reason", "unsupported action"}, {"action", signal.action}, {"queue", name}});
      continue;
    }
    producer->wake();
  }
  // Oban Web's pause, resume and scale show in the very next check.
  if (gossip_runner_) gossip_runner_->wake();
}

// The public face: everything forwards to the internals.
Node::Node(NodeConfig config, WorkerRegistry& registry, const Clock& clock)
    : impl_(std::make_unique<NodeInternals>(std::move(config), registry, clock)) {}
Node::~Node() = default;  // ~NodeInternals stops the node
void Node::start() { impl_->start(); }
void Node::stop() noexcept { impl_->stop(); }
std::size_t Node::stragglers() const { return impl_->stragglers(); }
bool Node::running() const { return impl_->running(); }
const NodeConfig& Node::config() const { return impl_->config(); }
const std::string& Node::name() const { return impl_->name(); }
std::vector<std::string> Node::idents() const { return impl_->idents(); }
const Clock& Node::clock() const { return impl_->clock(); }
Client& Node::client() { return impl_->client(); }
bool Node::is_leader() const { return impl_->is_leader(); }
void Node::add_plugin(std::unique_ptr<plugins::Plugin> plugin) { impl_->add_plugin(std::move(plugin)); }

NodeInternals& internals(Node& node) { return *node.impl_; }
const NodeInternals& internals(const Node& node) { return *node.impl_; }

}  // namespace oban
