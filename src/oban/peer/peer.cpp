#include "oban/peer/peer.hpp"

#include <stdexcept>

#include "oban/core/telemetry.hpp"
#include "oban/core/timer_loop.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/peer_store.hpp"
#include "oban/json/json_object.hpp"

namespace oban::peer {
namespace {

PeerConfig validated(PeerConfig config) {
  if (config.name.empty()) throw std::invalid_argument("peer name must not be empty");
  if (config.node.empty()) throw std::invalid_argument("peer node must not be empty");
  if (config.interval.count() <= 0) throw std::invalid_argument("peer interval must be positive");
  if (config.leader_boost <= 0) throw std::invalid_argument("peer leader_boost must be positive");
  return config;
}

}  // namespace

Peer::Peer(db::ConnectionPool& pool, PeerConfig config, const Clock& clock)
    : pool_(pool), config_(validated(std::move(config))), clock_(clock), rng_(std::random_device{}()) {
  loop_ = std::make_unique<core::TimerLoop>("peer", [this] {
    run_election();
    return next_delay();
  });
}

Peer::~Peer() { stop(); }

bool Peer::run_election() {
  std::lock_guard election{election_mutex_};
  bool was_leader = false;
  {
    std::lock_guard lock{state_mutex_};
    was_leader = leader_;
  }
  // Oban's [:oban, :peer, :election] span: every election starts and stops it, with the
  // outcome in "leader" and "was_leader"; it is logged (at info) only when they differ.
  telemetry::Span span{"peer:election", {{"leader", was_leader}, {"peer", config_.name}, {"node", config_.node}}};
  const auto now = clock_.now();
  bool won = false;
  bool failed = false;
  try {
    auto conn = pool_.acquire();
    won = db::attempt_leadership(*conn, config_.prefix, config_.name, config_.node, now, config_.interval);
  } catch (const std::exception& error) {
    // Like Oban: a failed election gives up leadership (the lease may be lost already).
    span.add("error", db::redact_dsn(error.what()));
    span.set_level(telemetry::Level::warning);
    failed = true;
  }
  const bool changed = set_leadership(won, now + config_.interval);
  span.add("leader", won);
  span.add("was_leader", was_leader);
  if (changed && !failed) span.set_level(telemetry::Level::info);
  span.stop();
  if (changed) notify_change(won);
  return is_leader();
}

bool Peer::set_leadership(bool leader, Timestamp expires_at) {
  std::lock_guard lock{state_mutex_};
  const bool changed = leader_ != leader;
  leader_ = leader;
  lease_expires_ = leader ? expires_at : Timestamp{};
  return changed;
}

void Peer::notify_change(bool leader) {
  if (!on_change_) return;
  try {
    on_change_(leader);
  } catch (const std::exception& error) {
    telemetry::emit("peer:on_change:exception", telemetry::Level::error,
                    {{"peer", config_.name}, {"node", config_.node}, {"error", error.what()}});
  }
}

bool Peer::is_leader() const {
  const auto now = clock_.now();
  std::lock_guard lock{state_mutex_};
  return leader_ && now < lease_expires_;
}

std::chrono::milliseconds Peer::next_delay() const {
  const auto base = is_leader() ? config_.interval / config_.leader_boost : config_.interval;
  std::lock_guard lock{state_mutex_};
  std::uniform_int_distribution<std::chrono::milliseconds::rep> jitter{0, base.count() / 10};
  return base - std::chrono::milliseconds{jitter(rng_)};
}

void Peer::resign() noexcept {
  std::lock_guard election{election_mutex_};
  {
    std::lock_guard lock{state_mutex_};
    if (!leader_) return;
  }
  try {
    auto conn = pool_.acquire();
    db::resign_leadership(*conn, config_.prefix, config_.name, config_.node);
  } catch (const std::exception& error) {
    // The row then simply expires after the lease.
    telemetry::emit("peer:resign:exception", telemetry::Level::warning,
                    {{"peer", config_.name}, {"node", config_.node}, {"error", db::redact_dsn(error.what())}});
  } catch (...) {
    telemetry::emit("peer:resign:exception", telemetry::Level::warning,
                    {{"peer", config_.name}, {"node", config_.node}, {"error", "unknown exception"}});
  }
  set_leadership(false, Timestamp{});
  // Reported as an election that ended leadership, so the log says "peer is no longer leader".
  telemetry::emit("peer:election:stop", telemetry::Level::info,
                  {{"leader", false}, {"was_leader", true}, {"peer", config_.name}, {"node", config_.node},
                   {"resigned", true}});
  notify_change(false);
}

void Peer::handle_leader_message(const std::string& json) {
  if (stopped_) return;
  std::optional<std::string> down;
  try {
    down = json::JsonObject::parse(json).string("down");
  } catch (const std::exception& error) {
    telemetry::emit("notifier:ignored", telemetry::Level::debug,
                    {{"channel", "leader"}, {"reason", "malformed"}, {"error", error.what()}});
    return;
  }
  if (down && *down == config_.name) run_election();
}

void Peer::on_change(std::function<void(bool)> hook) { on_change_ = std::move(hook); }

core::LoopHealth Peer::health() const { return loop_->health(); }

void Peer::start() {
  stopped_ = false;
  loop_->start();
}

void Peer::stop() noexcept {
  stopped_ = true;
  loop_->stop();
  resign();
}

}  // namespace oban::peer
