#pragma once
// The LISTEN connection's timeouts and pings (NodeConfig::notifier; notify::Notifier).
#include <chrono>
#include <string>
#include <vector>

namespace oban::notify {

struct NotifierOptions {
  // Opening the connection (TCP, TLS, authentication) takes at most this long.
  std::chrono::milliseconds connect_timeout{10000};
  // Time between pings. A trivial query every 10 s costs the server nothing.
  std::chrono::milliseconds ping_interval{10000};
  // A ping or LISTEN unanswered this long means the connection is dead. A healthy server
  // answers SELECT 1 in well under a millisecond; 5 s leaves room for a loaded one.
  std::chrono::milliseconds ping_timeout{5000};
  // Waits between reconnection attempts, doubling from first_backoff up to max_backoff.
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds max_backoff{5000};

  // Every problem with these options, empty when valid.
  std::vector<std::string> validate() const;
};

}  // namespace oban::notify
