#pragma once
// What a Node is made of (include/oban/runtime/node.hpp is its public face): connection
// pool, notifier, completer, one producer per queue, the stager and the cluster duties,
// started in that order and stopped in reverse. Private to the library, its tests and
// benchmarks: internals(node) reaches it.
//
// Seams: set_leader_check() decides whether this node leads (tests); notifier() accepts
// more listen() registrations (also after start()); pool() and clock() are shared.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "oban/client/client.hpp"
#include "oban/core/clock.hpp"
#include "oban/core/loop_health.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_store.hpp"
#include "oban/notify/notifier.hpp"
#include "oban/plugins/stager.hpp"
#include "oban/queue/completer.hpp"
#include "oban/queue/executor.hpp"
#include "oban/queue/producer.hpp"
#include "oban/queue/thread_pool.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_config.hpp"
#include "oban/worker.hpp"

namespace oban {
namespace peer {
class Peer;
}
namespace plugins {
class Cron;
class Pruner;
class Lifeline;
class UnknownWorkerWatch;
class Plugin;
class PluginRunner;
}  // namespace plugins
class Inserter;
namespace observe {
class Sonar;
class Gossip;
}  // namespace observe

// The node's parts, from a Node (defined in node.cpp).
NodeInternals& internals(Node& node);
const NodeInternals& internals(const Node& node);

class NodeInternals {
 public:
  // Fills in a default node name. Nothing connects until start().
  NodeInternals(NodeConfig config, WorkerRegistry& registry, const Clock& clock);
  ~NodeInternals();  // stop()
  NodeInternals(const NodeInternals&) = delete;
  NodeInternals& operator=(const NodeInternals&) = delete;

  // Overrides how this node decides it leads (tests). By default: the Peer's election when
  // config.leadership, else never.
  void set_leader_check(std::function<bool()> is_leader);

  // What Node's methods of the same names do (node.hpp).
  bool is_leader() const;
  void start();
  void stop() noexcept;
  std::size_t stragglers() const;
  bool running() const { return started_ && !stopped_; }
  const NodeConfig& config() const { return config_; }
  const std::string& name() const { return config_.node; }
  std::vector<std::string> idents() const;
  const Clock& clock() const { return clock_; }
  Client& client() { return *client_; }
  void add_plugin(std::unique_ptr<plugins::Plugin> plugin);

  db::ConnectionPool& pool() { return *pool_; }
  // Null when notifications are off.
  notify::Notifier* notifier() { return notifier_.get(); }
  queue::Producer* producer(const std::string& queue);
  plugins::Stager& stager() { return *stager_; }
  // Inserts jobs into this node's prefix (available after start()).
  Inserter& inserter() { return *inserter_; }
  peer::Peer* peer() { return peer_.get(); }
  plugins::Cron* cron() { return cron_.get(); }
  plugins::Pruner* pruner() { return pruner_.get(); }
  plugins::Lifeline* lifeline() { return lifeline_.get(); }
  plugins::UnknownWorkerWatch* unknown_worker_watch() { return unknown_worker_watch_.get(); }
  // Null before start() (and the Sonar when notifications or config.sonar are off). The
  // completer holds the acks not written yet: pending(), held().
  const queue::Completer* completer() const { return completer_.get(); }
  const observe::Sonar* sonar() const { return sonar_.get(); }
  // Every producer's check_queue map (what gossip sends), in queue order.
  std::vector<queue::ProducerCheck> checks() const;
  // The heartbeat of every loop the node runs (completer, producers, notifier, peer,
  // plugins, Sonar, gossip), for a liveness check. Empty before start().
  std::vector<core::LoopHealth> loops() const;

  // Applies one decoded `signal` payload (what the notifier handler does). Malformed
  // payloads are logged and ignored.
  void handle_signal(const std::string& json);
  // Applies one decoded `insert` payload.
  void handle_insert(const std::string& json);

 private:
  void start_cluster_duties();
  void report_plugin_settings() const;
  void start_observers();

  NodeConfig config_;
  WorkerRegistry& registry_;
  const Clock& clock_;
  std::function<bool()> is_leader_;

  std::shared_ptr<db::ConnectionPool> pool_;  // shared with the runs' transactional acks
  std::unique_ptr<notify::Notifier> notifier_;
  std::shared_ptr<const db::JobStore> store_;  // shared with the runs' transactional acks
  queue::Executor executor_;
  queue::ThreadPool threads_;
  std::unique_ptr<queue::Completer> completer_;
  std::map<std::string, std::unique_ptr<queue::Producer>> producers_;
  std::unique_ptr<plugins::Stager> stager_;
  std::unique_ptr<Inserter> inserter_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<peer::Peer> peer_;
  std::unique_ptr<plugins::Cron> cron_;
  std::unique_ptr<plugins::Pruner> pruner_;
  std::unique_ptr<plugins::Lifeline> lifeline_;
  std::unique_ptr<plugins::UnknownWorkerWatch> unknown_worker_watch_;
  std::vector<std::unique_ptr<plugins::Plugin>> extra_plugins_;  // from add_plugin()
  // One runner per plugin in start order (stager, pruner, lifeline, cron, unknown-worker
  // watch, extras); stopped in reverse. cron_runner_ points into it.
  std::vector<std::unique_ptr<plugins::PluginRunner>> runners_;
  plugins::PluginRunner* cron_runner_ = nullptr;
  // Sonar and gossip run while the queues drain at shutdown (the last check shows it), so
  // they have runners of their own, stopped after the producers.
  std::unique_ptr<observe::Sonar> sonar_;
  std::unique_ptr<observe::Gossip> gossip_;
  std::unique_ptr<plugins::PluginRunner> sonar_runner_;
  std::unique_ptr<plugins::PluginRunner> gossip_runner_;
  // Read by other threads (an HTTP probe): atomic. `up_` is set once start() has built
  // everything, so loops() and checks() never look at containers still being filled.
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> up_{false};
};

}  // namespace oban
