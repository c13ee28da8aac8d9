#pragma once
// Everything the process reports, kept for the secret scan and for a failing scenario's
// report. The library reports only through telemetry (oban/core/telemetry.hpp), so the
// capture is one handler attached to every event, at every level, installed once per
// process on first use (before any node starts). Each event is kept three ways: the line
// the default logger writes for it as text and as JSON (what an operator's log holds), and
// the whole event (name, message, every metadata and measurement value) as JSON, since a
// subscriber of the user's may log what the default logger leaves out. Nothing is printed
// while a scenario runs.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "oban/core/telemetry.hpp"

namespace fault {

class LogCapture {
 public:
  // The process-wide capture (attached on first use).
  static LogCapture& instance();

  // Forgets what was captured so far: a scenario starts.
  void clear();
  // Every captured text: for each event its text line, its JSON line (when the default
  // logger writes one) and the whole event as JSON.
  std::vector<std::string> texts() const;
  // The default logger's text lines of the last `count` events, for a failing report.
  std::vector<std::string> tail(std::size_t count) const;
  // Events named `name` captured since clear().
  std::size_t count_events(std::string_view name) const;

 private:
  LogCapture();
  void record(const oban::telemetry::Event& event);
  struct State;
  State* state_;  // lives until exit: the handler may run on threads that outlive main()
};

// The whole event (name, level, source, message, metadata, measurements) as one JSON object.
std::string event_json(const oban::telemetry::Event& event);

}  // namespace fault
