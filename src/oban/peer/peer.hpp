#pragma once
// Leader election in `oban_peers`, as Oban 2.23.1's Database peer does it
// (oban-protocol.md section 7). One row per name; the node on that row leads until its
// expires_at. Peers sharing a name compete; "Oban" joins the Elixir nodes' election.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "oban/core/clock.hpp"
#include "oban/core/loop_health.hpp"
#include "oban/core/timestamp.hpp"

namespace oban::db {
class ConnectionPool;
}
namespace oban::core {
class TimerLoop;
}

namespace oban::peer {

struct PeerConfig {
  std::string name = "oban-cpp";               // oban_peers.name; "Oban" joins the Elixir election
  std::string node;                            // this node's name, unique in the cluster (required)
  std::string prefix = "public";               // schema holding oban_peers
  std::chrono::milliseconds interval{30000};   // lease length, and the follower's election period
  int leader_boost = 2;                        // the leader re-elects every interval / leader_boost
};

class Peer {
 public:
  // Throws std::invalid_argument when node or name is empty, or the timings are not positive.
  Peer(db::ConnectionPool& pool, PeerConfig config, const Clock& clock);
  ~Peer();  // stop()
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // One election (the run_once of this class): delete the name's expired row, then insert
  // ours or extend it if it is already ours. Any failure means not leader. Returns is_leader().
  bool run_election();
  bool run_once() { return run_election(); }

  // True while the last election was won and the lease it won has not passed on the clock,
  // so the node never acts as leader past its own expires_at. Thread-safe.
  bool is_leader() const;

  // How long to wait before the next election: interval / leader_boost when leader,
  // interval otherwise, each minus up to 10% jitter (Oban's Backoff.jitter, mode :dec).
  std::chrono::milliseconds next_delay() const;

  // When leader: delete our row and NOTIFY leader {"down":"<name>"} in one transaction, so
  // the others elect at once. Not leader afterwards. Errors are logged, never thrown.
  void resign() noexcept;

  // A message from the `leader` channel. {"down": <our name>} triggers an election at once;
  // anything else (other names, malformed JSON) is ignored, and so is everything after
  // stop(), so a late message cannot make a stopped node leader again.
  void handle_leader_message(const std::string& json);

  // Called with the new value whenever an election or resign() changes leadership, after
  // the change is reported as Oban's "peer:election:stop" event (leader, was_leader).
  // Set before start(); called on the thread that ran the election. A lease that merely
  // runs out on the clock flips is_leader() without a call; the next election reports it.
  void on_change(std::function<void(bool)> hook);

  // Elects at once, then on its own thread after each next_delay().
  void start();
  // Stops the loop and resigns. Idempotent. The pool must outlive the Peer (the destructor
  // calls stop(), which resigns through the pool).
  void stop() noexcept;

  const PeerConfig& config() const { return config_; }
  // The election loop's heartbeat, for the node's liveness check.
  core::LoopHealth health() const;

 private:
  bool set_leadership(bool leader, Timestamp expires_at);  // true when leadership changed
  void notify_change(bool leader);

  db::ConnectionPool& pool_;
  const PeerConfig config_;
  const Clock& clock_;
  std::function<void(bool)> on_change_;  // set before start(), read-only afterwards

  std::mutex election_mutex_;  // one election or resign at a time

  mutable std::mutex state_mutex_;
  bool leader_ = false;         // guarded by state_mutex_: the last election's outcome
  Timestamp lease_expires_{};   // guarded by state_mutex_: expires_at of the lease we hold
  mutable std::mt19937 rng_;    // guarded by state_mutex_

  std::atomic<bool> stopped_{false};  // set by stop(), cleared by start()
  std::unique_ptr<core::TimerLoop> loop_;
};

}  // namespace oban::peer
