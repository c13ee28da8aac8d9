#pragma once
// The node's log: a telemetry subscriber, like Oban.Telemetry.attach_default_logger. Each
// event at the chosen level or above becomes one line, as a JSON object or as text.
//
// Oban's events are shaped as Oban's logger (encode: true) shapes them, with its keys and
// value types: job:start / job:stop / job:exception (id, args, meta, queue, worker, attempt,
// max_attempts, tags; state, duration and queue_time in microseconds, error), plugin:stop
// and plugin:exception (plugin, duration, and each Oban plugin's own keys), peer:election
// (only when leadership changes), notifier:switch, stager:switch, queue:shutdown (only when
// jobs were orphaned), with Oban's messages and "source": "oban". Other events print their
// metadata and measurements (durations in microseconds) under the same rules.
//
// Every line also carries what Oban leaves to its Logger prefix: "level" and "time" (ISO
// 8601 UTC, microseconds), and "node" whenever the event names one (job, queue, peer,
// notifier and node events do). A text line is `<time> [<level>] <event> key=<json> ...`:
// the same fields, every value JSON-encoded, so names and errors with spaces or quotes
// still parse.
#include <functional>
#include <string>

#include "oban/core/telemetry.hpp"

namespace oban {

enum class LogFormat { text, json };

struct LoggerOptions {
  LogFormat format = LogFormat::text;                  // --log-format
  telemetry::Level level = telemetry::Level::info;     // --log-level: this and above
  // Where finished lines go (without newline); must be thread-safe. Default: stderr, one
  // whole line at a time.
  std::function<void(const std::string& line)> sink{};
};

// Parses "text"/"json" and "debug"/"info"/"warning"/"error"; throws std::invalid_argument
// naming the accepted values.
LogFormat parse_log_format(const std::string& text);
telemetry::Level parse_log_level(const std::string& text);

// The line an event becomes, without a trailing newline; empty for an event Oban's logger
// does not log (an election that changed nothing, a shutdown that orphaned nothing).
std::string format_json_line(const telemetry::Event& event);
std::string format_text_line(const telemetry::Event& event);

// Attached while alive.
class DefaultLogger {
 public:
  explicit DefaultLogger(LoggerOptions options = {});
  ~DefaultLogger();
  DefaultLogger(const DefaultLogger&) = delete;
  DefaultLogger& operator=(const DefaultLogger&) = delete;

 private:
  telemetry::HandlerId id_;
};

}  // namespace oban
