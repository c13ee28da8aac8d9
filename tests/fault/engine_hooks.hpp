#pragma once
// The engine hooks the fault suite uses that today's engine may not have yet (issue 10's
// fixes add them). Each adapter compiles either way: it uses the hook when the engine has a
// member of that name and says "n/a" otherwise, so the suite runs on today's code (and
// fails for the reasons issue 10 lists) and picks the hooks up when they land. Rename here
// if the engine names them differently; every scenario line prints which hooks it found.
#include <chrono>
#include <optional>
#include <string>

namespace fault::hooks {

using std::chrono::milliseconds;

template <typename Field>
void set_duration(Field& field, milliseconds value) {
  field = std::chrono::duration_cast<Field>(value);
}

// NodeConfig::db_connect_timeout: bound on opening one connection (libpq connect_timeout).
template <typename Config>
bool set_connect_timeout(Config& config, milliseconds value) {
  if constexpr (requires { config.db_connect_timeout.count(); }) {
    set_duration(config.db_connect_timeout, value);
    return true;
  }
  return false;
}

// NodeConfig::db_acquire_timeout: bound on waiting for a pooled connection.
template <typename Config>
bool set_acquire_timeout(Config& config, milliseconds value) {
  if constexpr (requires { config.db_acquire_timeout.count(); }) {
    set_duration(config.db_acquire_timeout, value);
    return true;
  }
  return false;
}

// NodeConfig::notifier_ping_interval: how often the LISTEN connection is pinged (an answer
// is awaited with a deadline, so a silent connection is noticed).
template <typename Config>
bool set_notifier_ping_interval(Config& config, milliseconds value) {
  if constexpr (requires { config.notifier_ping_interval.count(); }) {
    set_duration(config.notifier_ping_interval, value);
    return true;
  }
  return false;
}

// Node::completer().held(): acks the database refused that the completer keeps and retries.
template <typename Node>
std::optional<long> held_acks(Node& node) {
  if constexpr (requires { node.completer().held(); }) {
    return static_cast<long>(node.completer().held());
  } else {
    return std::nullopt;
  }
}

// Node::completer().pending(): acks in the completer not written yet (queued, being
// written or held).
template <typename Node>
std::optional<long> completer_backlog(Node& node) {
  if constexpr (requires { node.completer().pending(); }) {
    return static_cast<long>(node.completer().pending());
  } else {
    return std::nullopt;
  }
}

inline std::string found(bool present) { return present ? "yes" : "n/a"; }
inline std::string value_or_na(const std::optional<long>& value) {
  return value ? std::to_string(*value) : std::string{"n/a"};
}

// The shutdown bounds `rindle-worker run` is assumed to honour: --shutdown-grace (exists)
// and a second, hard deadline after it by which performs still running are given up and
// the process exits (issue 10; NodeConfig::shutdown_hard_deadline, default 5 s).
constexpr milliseconds kAssumedHardDeadline{5000};

}  // namespace fault::hooks
