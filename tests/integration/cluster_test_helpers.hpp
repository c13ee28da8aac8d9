#pragma once
// Helpers shared by the peer, pruner and lifeline tests.
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/timestamp.hpp"

namespace cluster_test {

// A fixed start time for ManualClocks, microseconds included.
inline oban::Timestamp start_time() { return oban::parse_sql_timestamp("2026-11-28 09:33:56.451436"); }

// Collects every payload on one channel of its own connection.
class Listener : public pqxx::notification_receiver {
 public:
  Listener(pqxx::connection& conn, const std::string& channel) : pqxx::notification_receiver(conn, channel) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override { payloads.push_back(payload); }

  // Waits up to `timeout` for at least `count` payloads, then a little longer for strays,
  // so tests can assert the exact list.
  const std::vector<std::string>& collect(std::size_t count, std::chrono::seconds timeout = std::chrono::seconds{5}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (payloads.size() < count && std::chrono::steady_clock::now() < deadline) {
      conn().await_notification(0, 100000);
    }
    conn().await_notification(0, 200000);
    conn().get_notifs();
    return payloads;
  }

  std::vector<std::string> payloads;
};

// Polls `condition` every 10 ms until it holds or `timeout` passes; returns its last value.
inline bool wait_for(const std::function<bool()>& condition,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return true;
}

}  // namespace cluster_test
