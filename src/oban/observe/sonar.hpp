#pragma once
// Oban's Sonar (lib/oban/sonar.ex, 2.22+): every node pings `{"node":..,"ping":true}` on
// "<prefix>.oban_sonar" and listens there. Which nodes it hears decides its connectivity
// status: isolated (none, not even itself), solitary (only itself) or clustered (others
// too). Each change is reported as Oban's "notifier:switch" event {"status": ...}. The
// ping interval adapts as Oban's does: 5 s, doubling while nothing changes up to a target
// (clustered: 5 s x nodes heard, at most 60 s; solitary: 60 s; otherwise 5 s), back to 5 s
// on any change, ±10% jitter. Nodes silent for 120 s are forgotten.
//
// Without Sonar pings from us, an Elixir node whose only peer is this node reports
// "notifier only receiving messages from its own node"; with them it reports clustered.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "oban/core/connectivity.hpp"
#include "oban/db/connection.hpp"
#include "oban/plugins/plugin.hpp"

namespace oban::observe {

struct SonarConfig {
  std::string prefix = "public";                    // channel "<prefix>.oban_sonar"
  std::string node;                                 // our name in pings (required)
  std::chrono::milliseconds min_interval{5000};     // Oban's min_interval
  std::chrono::milliseconds max_interval{60000};    // Oban's max_interval
  std::chrono::milliseconds stale_after{120000};    // Oban's stale_after
};

// The bookkeeping, without I/O or threads: who was heard when, the status, the interval.
class SonarState {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit SonarState(SonarConfig config);

  // A ping from `node` heard at `now` (the receiver's clock: a ping's own "time" field, if
  // any, is never trusted). Returns the new status when it changed.
  std::optional<core::Connectivity> heard(const std::string& node, TimePoint now);

  struct Tick {
    std::chrono::milliseconds interval;               // until the next ping, before jitter
    std::optional<core::Connectivity> changed_to;     // set when the status changed
  };
  // One round after our own ping went out: forget stale nodes, re-evaluate the status,
  // adapt the interval.
  Tick tick(TimePoint now);

  core::Connectivity status() const { return status_; }
  std::vector<std::string> nodes() const;  // heard within stale_after, sorted
  std::chrono::milliseconds interval() const { return interval_; }

 private:
  std::optional<core::Connectivity> update_status();

  SonarConfig config_;
  std::map<std::string, TimePoint> nodes_;  // node -> when last heard
  core::Connectivity status_ = core::Connectivity::unknown;
  std::chrono::milliseconds interval_;
};

class Sonar final : public plugins::Plugin {
 public:
  // Throws std::invalid_argument when config.node is empty or the intervals are not positive.
  Sonar(db::ConnectionPool& pool, SonarConfig config);

  // A decoded payload from the sonar channel (the notifier's handler). Malformed ones are
  // ignored (reported as "notifier:ignored").
  void handle_ping(const std::string& json);

  core::Connectivity status() const;
  std::vector<std::string> nodes() const;

  // The LISTEN connection is (back) up: the next run is a first ping again, deciding
  // nothing, since pings sent before could not be heard. Wake the runner after calling it.
  void rejoin();

  // Plugin: each run sends our ping, then re-evaluates, as Oban's :ping, unless no earlier
  // ping can have been heard yet (see rejoin()).
  std::string name() const override { return "Oban.Sonar"; }
  plugins::PluginReport run() override;
  std::chrono::milliseconds next_delay() const override;
  std::chrono::milliseconds first_delay() const override { return std::chrono::milliseconds{0}; }
  bool leader_only() const override { return false; }
  telemetry::Level report_level() const override { return telemetry::Level::debug; }

 private:
  void report_switch(core::Connectivity status) const;

  db::ConnectionPool& pool_;
  const SonarConfig config_;
  mutable std::mutex mutex_;  // guards everything below
  SonarState state_;
  // Pings are counted in generations, one per (re)connection of the LISTEN connection:
  // only a ping sent in the current generation can have been heard, so a round evaluates
  // only after such a ping.
  std::uint64_t generation_ = 0;
  std::optional<std::uint64_t> last_ping_generation_;
  std::chrono::steady_clock::time_point last_ping_at_{};
  std::chrono::milliseconds next_delay_;
  mutable std::mt19937 random_{std::random_device{}()};
};

}  // namespace oban::observe
