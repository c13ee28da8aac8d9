#include "oban/runtime/node_config.hpp"

#include <stdexcept>

namespace oban {

std::vector<std::string> NodeConfig::validate() const {
  std::vector<std::string> problems;
  if (dsn.empty()) problems.push_back("no database: set DATABASE_URL");
  if (prefix.empty()) problems.push_back("prefix must not be empty");
  if (node.empty() || node.find_first_of(" \t\r\n") != std::string::npos) {
    problems.push_back("node name must be non-empty without whitespace");
  }
  for (const auto& [queue, limit] : queues) {
    if (queue.empty() || queue.size() > 127) problems.push_back("queue name '" + queue + "' must be 1..127 characters");
    if (limit <= 0) problems.push_back("queue " + queue + " needs a limit above 0");
  }
  if (poll_interval.count() <= 0) problems.push_back("poll interval must be positive");
  if (peer_name.empty()) problems.push_back("peer name must not be empty");
  if (sonar_min_interval.count() <= 0 || sonar_max_interval < sonar_min_interval) {
    problems.push_back("sonar intervals must be positive, the longest at least the shortest");
  }
  if (gossip_interval.count() <= 0) problems.push_back("gossip interval must be positive");
  return problems;
}

}  // namespace oban

