#pragma once
// An Oban node: runs the configured queues with the registered workers, beside Elixir nodes
// on the same oban_jobs table, and takes part in their leader election, cron, pruning and
// rescues as its config says (NodeConfig).
//
//   oban::WorkerRegistry registry;
//   oban::add_worker(registry, std::make_shared<ResizeWorker>());
//   oban::Node node{{.dsn = "postgres://app@db/app", .queues = {{"media", 10}}}, registry};
//   node.client().insert(ResizeArgs{.image_id = 7});  // also before start()
//   node.start();
//   ...
//   node.stop();  // or let the destructor do it
//
// Reporting goes through telemetry (oban/core/telemetry.hpp; runtime/default_logger.hpp
// prints it). The node's parts (pool, producers, notifier...) are private to the library.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "oban/client/client.hpp"
#include "oban/core/clock.hpp"
#include "oban/plugins/plugin.hpp"
#include "oban/runtime/node_config.hpp"
#include "oban/worker.hpp"

namespace oban {
namespace db {
struct PoolOptions;
}
class NodeInternals;

// "<hostname>-<pid>": never an Elixir node name.
std::string default_node_name();

// The pool settings a node's config asks for (connect, acquire and statement timeouts), for
// a pool of your own beside the node's: db::ConnectionPool{dsn, size, pool_options(config)}
// (include <oban/db/connection.hpp> to use it).
db::PoolOptions pool_options(const NodeConfig& config);

class Node {
 public:
  // Fills in a default node name (default_node_name()). Nothing connects until start().
  // `registry` and `clock` must outlive the node.
  Node(NodeConfig config, WorkerRegistry& registry, const Clock& clock = SystemClock::instance());
  ~Node();  // stop()
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Validates the config (throws std::invalid_argument listing every problem), checks the
  // schema (throws when older than V12, naming the fix), then starts everything.
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
  // Between start() and stop().
  bool running() const;

  const NodeConfig& config() const;  // as given, with the node name filled in
  const std::string& name() const;
  // Oban's idents this node answers to in signals: "Oban.<node>" and "<peer_name>.<node>".
  std::vector<std::string> idents() const;
  const Clock& clock() const;
  // Inserts and signals on this node's database and prefix, also before start(); its
  // local_only signals address this node.
  Client& client();
  // Whether this node leads right now: it stages, runs cron, prunes and rescues only then.
  bool is_leader() const;

  // Runs `plugin` on this node as well: started after the built-in ones, stopped before
  // them, with the same leadership check and plugin:* telemetry. Call before start() (else
  // std::logic_error).
  void add_plugin(std::unique_ptr<plugins::Plugin> plugin);

 private:
  friend NodeInternals& internals(Node& node);
  friend const NodeInternals& internals(const Node& node);
  std::unique_ptr<NodeInternals> impl_;
};

}  // namespace oban
