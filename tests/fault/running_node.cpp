#include "running_node.hpp"

#include <stdexcept>

namespace fault {

RunningNode::RunningNode(FaultWorld& world, oban::NodeConfig config) : world_(world) {
  int limit = 0;
  for (const auto& [queue, queue_limit] : config.queues) limit += queue_limit;
  worker_pool_ = std::make_unique<oban::db::ConnectionPool>(config.dsn, static_cast<std::size_t>(limit) + 2,
                                                            oban::pool_options(config));
  node_ = std::make_unique<oban::Node>(std::move(config), world.registry());
  internals().set_leader_check([] { return true; });
  world.worker().use_pool(worker_pool_.get());
  try {
    node_->start();
  } catch (const std::exception& e) {
    world.note_text(e.what());
    world.worker().use_pool(nullptr);
    throw;
  }
}

RunningNode::~RunningNode() { stop(); }

oban::queue::Producer& RunningNode::producer() {
  auto* producer = internals().producer(kQueue);
  if (producer == nullptr) throw std::logic_error("the node has no fault queue");
  return *producer;
}

void RunningNode::stop(std::chrono::seconds bound) {
  if (stopped_) return;
  stopped_ = true;
  Watchdog watchdog{"stopping the node of scenario " + world_.scenario(), bound};
  node_->stop();
  world_.worker().use_pool(nullptr);
}

}  // namespace fault
