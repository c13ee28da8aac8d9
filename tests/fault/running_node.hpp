#pragma once
// A real oban::Node of a scenario, set up as rindle-worker sets up its node: the workers'
// database runs go through a pool of their own (on the same DSN and bounds, limit + 2
// connections),
// which only jobs use, so a connection it holds can sit idle through any blip. The node
// stages (retries and snoozes come back within the scenario), and it is stopped, under a
// watchdog, when the scenario ends.
#include <memory>

#include "fault_world.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"

namespace fault {

class RunningNode {
 public:
  // Starts the node; an exception from start() is noted for the secret scan and rethrown.
  RunningNode(FaultWorld& world, oban::NodeConfig config);
  ~RunningNode();  // stop()
  RunningNode(const RunningNode&) = delete;
  RunningNode& operator=(const RunningNode&) = delete;

  oban::Node& node() { return *node_; }
  oban::Node* operator->() { return node_.get(); }
  // Its producers, notifier and completer (src/oban/runtime/node_internals.hpp).
  oban::NodeInternals& internals() { return oban::internals(*node_); }
  oban::queue::Producer& producer();
  // Stops the node; aborts the process when stop() outlasts `bound`.
  void stop(std::chrono::seconds bound = std::chrono::seconds{60});

 private:
  FaultWorld& world_;
  std::unique_ptr<oban::db::ConnectionPool> worker_pool_;
  std::unique_ptr<oban::Node> node_;
  bool stopped_ = false;
};

}  // namespace fault
