#pragma once
// What the library's own code (Node, the testing helpers) reaches inside a Client.
#include <memory>
#include <string>
#include <vector>

#include "oban/client/client.hpp"
#include "oban/db/connection.hpp"

namespace oban {

struct ClientAccess {
  // A client on a node's pool. Signals with local_only address "<name>.<node>" and are
  // accepted for the queues in `local_queues` (and "*").
  static std::unique_ptr<Client> for_node(db::ConnectionPool& pool, std::string prefix, std::string node,
                                          std::vector<std::string> local_queues, const Clock& clock);
  static db::ConnectionPool& pool(const Client& client);
  static const Clock& clock(const Client& client);
};

}  // namespace oban
