#pragma once
// A running Oban node: connection pool, notifier, completer, one producer per queue and
// the stager, started in that order and stopped in reverse.
//
// Seams for the cluster duties (leader election, cron, pruner, lifeline): set_leader_check()
// decides whether this node stages; notifier() accepts more listen() registrations (also
// after start()); pool() and clock() are shared.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_store.hpp"
#include "oban/notify/notifier.hpp"
#include "oban/plugins/stager.hpp"
#include "oban/queue/completer.hpp"
#include "oban/queue/executor.hpp"
#include "oban/queue/producer.hpp"
#include "oban/queue/thread_pool.hpp"
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
class Plugin;
class PluginRunner;
}  // namespace plugins
class Inserter;

// "<hostname>-<pid>": never an Elixir node name.
std::string default_node_name();

// The pool settings a node's config asks for (for other pools beside the node's own).
db::PoolOptions pool_options(const NodeConfig& config);

class Node {
 public:
  // Fills in a default node name. Nothing connects until start().
  Node(NodeConfig config, WorkerRegistry& registry, const Clock& clock = SystemClock::instance());
  ~Node();  // stop()
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Overrides how this node decides it leads (tests). By default: the Peer's election when
  // config.leadership, else never.
  void set_leader_check(std::function<bool()> is_leader);
  // Whether this node leads right now: it stages, runs cron, prunes and rescues only then.
  bool is_leader() const;

  // Validates the config (throws std::invalid_argument listing every problem), checks the
  // schema (require_runnable_schema), then starts everything.
  void start();
  // Stops fetching, waits up to shutdown_grace for running jobs and their acks, then asks
  // the rest to stop and waits up to shutdown_hard_deadline more; what still runs then is
  // given up (its row released for another run) and stop() returns after writing the last
  // acks (at most a few seconds more). Idempotent.
  void stop() noexcept;
  // Performs given up on by stop() that have not returned yet. Their threads touch nothing
  // of the node, but they still use their worker and whatever it uses: keep that alive, or
  // end the process (rindle-worker exits).
  std::size_t stragglers() const;

  const NodeConfig& config() const { return config_; }
  const std::string& name() const { return config_.node; }
  // Oban's idents this node answers to in signals: "Oban.<node>" and "<peer_name>.<node>".
  std::vector<std::string> idents() const;
  const Clock& clock() const { return clock_; }
  db::ConnectionPool& pool() { return *pool_; }
  // Null when notifications are off.
  notify::Notifier* notifier() { return notifier_.get(); }
  queue::Producer* producer(const std::string& queue);
  // The acks not written yet (after start()): pending(), held().
  queue::Completer& completer() { return *completer_; }
  plugins::Stager& stager() { return *stager_; }
  // Inserts jobs into this node's prefix (available after start()).
  Inserter& inserter() { return *inserter_; }
  peer::Peer* peer() { return peer_.get(); }
  plugins::Cron* cron() { return cron_.get(); }
  plugins::Pruner* pruner() { return pruner_.get(); }
  plugins::Lifeline* lifeline() { return lifeline_.get(); }
  bool running() const { return started_ && !stopped_; }

  // Runs `plugin` on this node as well: started after the built-in ones, stopped before
  // them, on the same runner (leadership, telemetry). Call before start().
  void add_plugin(std::unique_ptr<plugins::Plugin> plugin);

  // Applies one decoded `signal` payload (what the notifier handler does). Malformed
  // payloads are logged and ignored.
  void handle_signal(const std::string& json);
  // Applies one decoded `insert` payload.
  void handle_insert(const std::string& json);

 private:
  void start_cluster_duties();

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
  std::unique_ptr<peer::Peer> peer_;
  std::unique_ptr<plugins::Cron> cron_;
  std::unique_ptr<plugins::Pruner> pruner_;
  std::unique_ptr<plugins::Lifeline> lifeline_;
  std::vector<std::unique_ptr<plugins::Plugin>> extra_plugins_;  // from add_plugin()
  // One runner per plugin in start order (stager, pruner, lifeline, cron, extras); stopped in
  // reverse. cron_runner_ points into it.
  std::vector<std::unique_ptr<plugins::PluginRunner>> runners_;
  plugins::PluginRunner* cron_runner_ = nullptr;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace oban
