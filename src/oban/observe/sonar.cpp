#include "oban/observe/sonar.hpp"

#include <stdexcept>

#include "oban/core/telemetry.hpp"
#include "oban/db/notification.hpp"
#include "oban/json/json_object.hpp"
#include "oban/json/json_writer.hpp"

namespace oban::observe {
namespace {

SonarConfig validated(SonarConfig config) {
  if (config.node.empty()) throw std::invalid_argument("sonar needs the node's name");
  if (config.min_interval.count() <= 0 || config.max_interval < config.min_interval || config.stale_after.count() <= 0) {
    throw std::invalid_argument("sonar intervals must be positive, with max_interval >= min_interval");
  }
  return config;
}

}  // namespace

SonarState::SonarState(SonarConfig config) : config_(std::move(config)), interval_(config_.min_interval) {}

std::optional<core::Connectivity> SonarState::heard(const std::string& node, TimePoint now) {
  nodes_[node] = now;
  return update_status();
}

SonarState::Tick SonarState::tick(TimePoint now) {
  const auto previous_status = status_;
  const auto previous_nodes = nodes();
  std::erase_if(nodes_, [&](const auto& entry) { return now - entry.second > config_.stale_after; });
  const auto changed_to = update_status();
  // As Oban: only what this round changed (a node gone stale) resets the interval; a new
  // node heard between rounds was already counted when its ping arrived.
  const bool changed = status_ != previous_status || nodes() != previous_nodes;
  if (changed) {
    interval_ = config_.min_interval;
  } else {
    std::chrono::milliseconds target = config_.min_interval;
    if (status_ == core::Connectivity::clustered) {
      const auto heard = static_cast<long>(std::max<std::size_t>(nodes_.size(), 1));
      target = std::min(config_.min_interval * heard, config_.max_interval);
    } else if (status_ == core::Connectivity::solitary) {
      target = config_.max_interval;
    }
    interval_ = std::min(interval_ * 2, target);
  }
  return {interval_, changed_to};
}

std::vector<std::string> SonarState::nodes() const {
  std::vector<std::string> names;
  for (const auto& [name, at] : nodes_) names.push_back(name);
  return names;
}

std::optional<core::Connectivity> SonarState::update_status() {
  core::Connectivity status = core::Connectivity::clustered;
  if (nodes_.empty()) {
    status = core::Connectivity::isolated;
  } else if (nodes_.size() == 1 && nodes_.begin()->first == config_.node) {
    status = core::Connectivity::solitary;
  }
  if (status == status_) return std::nullopt;
  status_ = status;
  return status;
}

Sonar::Sonar(db::ConnectionPool& pool, SonarConfig config)
    : pool_(pool), config_(validated(std::move(config))), state_(config_), next_delay_(config_.min_interval) {}

void Sonar::handle_ping(const std::string& json) {
  std::optional<std::string> node;
  try {
    node = json::JsonObject::parse(json).string("node");
  } catch (const std::exception& error) {
    telemetry::emit("notifier:ignored", telemetry::Level::debug,
                    {{"channel", "sonar"}, {"reason", "malformed"}, {"error", error.what()}});
    return;
  }
  if (!node || node->empty()) {
    telemetry::emit("notifier:ignored", telemetry::Level::debug, {{"channel", "sonar"}, {"reason", "no node"}});
    return;
  }
  std::optional<core::Connectivity> changed;
  {
    std::lock_guard lock{mutex_};
    changed = state_.heard(*node, std::chrono::steady_clock::now());
  }
  if (changed) report_switch(*changed);
}

void Sonar::rejoin() {
  std::lock_guard lock{mutex_};
  ++generation_;
}

core::Connectivity Sonar::status() const {
  std::lock_guard lock{mutex_};
  return state_.status();
}

std::vector<std::string> Sonar::nodes() const {
  std::lock_guard lock{mutex_};
  return state_.nodes();
}

plugins::PluginReport Sonar::run() {
  plugins::PluginReport report;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock{mutex_};
    generation = generation_;  // read before sending: a rejoin() after this makes the ping suspect
  }
  try {
    const auto ping = json::ObjectWriter{}.add("node", config_.node).add("ping", true).str();
    db::notify(pool_, config_.prefix, "sonar", {ping});
    report["pinged"] = true;
  } catch (const std::exception& error) {
    // As Oban's Sonar, a ping that cannot be sent is skipped; not hearing ourselves then
    // shows in the status.
    report["pinged"] = false;
    report["error"] = db::redact_dsn(error.what());
  }
  std::optional<core::Connectivity> changed;
  {
    std::lock_guard lock{mutex_};
    const auto now = std::chrono::steady_clock::now();
    // After a (re)connection, start again from the shortest interval.
    auto interval = last_ping_generation_ == generation_ ? state_.interval() : config_.min_interval;
    // Oban's first ping decides nothing; each later round re-evaluates what was heard since
    // the one before, provided that one went out while we were listening and its echo had
    // time to arrive (a round woken early, at a reconnection, only pings).
    if (last_ping_generation_ == generation && generation == generation_ &&
        now - last_ping_at_ >= config_.min_interval / 2) {
      const auto tick = state_.tick(now);
      interval = tick.interval;
      changed = tick.changed_to;
    }
    last_ping_generation_ = generation;
    last_ping_at_ = now;
    // Oban's Backoff.jitter: ± up to 10%.
    std::uniform_real_distribution<double> unit{0.0, 1.0};
    const double rand = unit(random_);
    const auto diff = std::chrono::milliseconds{static_cast<long>(rand * 0.1 * static_cast<double>(interval.count()))};
    next_delay_ = rand >= 0.5 ? interval + diff : interval - diff;
    report["status"] = std::string{core::to_string(state_.status())};
    report["nodes"] = state_.nodes();
    report["next_ping_ms"] = next_delay_.count();
  }
  if (changed) report_switch(*changed);
  return report;
}

std::chrono::milliseconds Sonar::next_delay() const {
  std::lock_guard lock{mutex_};
  return next_delay_;
}

void Sonar::report_switch(core::Connectivity status) const {
  telemetry::emit("notifier:switch",
                  status == core::Connectivity::isolated ? telemetry::Level::warning : telemetry::Level::info,
                  {{"status", std::string{core::to_string(status)}}, {"node", config_.node}, {"prefix", config_.prefix}});
}

}  // namespace oban::observe
