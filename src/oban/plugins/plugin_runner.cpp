#include "oban/plugins/plugin_runner.hpp"

namespace oban::plugins {

PluginRunner::PluginRunner(Plugin& plugin, std::function<bool()> is_leader)
    : plugin_(plugin),
      is_leader_(std::move(is_leader)),
      loop_(plugin_.name(), [this] {
        run_reported();
        return plugin_.next_delay();
      }) {}

PluginRunner::~PluginRunner() { stop(); }

void PluginRunner::start() { loop_.start(plugin_.first_delay()); }

void PluginRunner::stop() noexcept { loop_.stop(); }

void PluginRunner::wake() { loop_.wake(); }

bool PluginRunner::run_reported() {
  if (plugin_.leader_only() && !(is_leader_ && is_leader_())) return false;
  const auto level = plugin_.report_level();
  telemetry::Span span{"plugin", {{"plugin", plugin_.name()}}, level};
  try {
    for (auto& [key, value] : plugin_.run()) span.add(key, std::move(value));
    span.stop();
    return true;
  } catch (const std::exception& error) {
    span.stop_with_error("error", error.what(), telemetry::Level::error);
  } catch (...) {
    span.stop_with_error("error", "unknown exception", telemetry::Level::error);
  }
  return false;
}

}  // namespace oban::plugins
