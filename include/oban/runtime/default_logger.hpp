#pragma once
// The node's log: a telemetry subscriber, like Oban.Telemetry.attach_default_logger. Each
// event at the chosen level or above becomes one line on stderr, as a JSON object (Oban's
// encode: true shape: the event's metadata, "event", "source", durations in microseconds)
// or as text (`event key=value ...`, strings JSON-quoted so every line parses).
#include <string>

#include "oban/core/telemetry.hpp"

namespace oban {

enum class LogFormat { text, json };

struct LoggerOptions {
  LogFormat format = LogFormat::text;                  // --log-format
  telemetry::Level level = telemetry::Level::info;     // --log-level: this and above
};

// Parses "text"/"json" and "debug"/"info"/"warning"/"error"; throws std::invalid_argument
// naming the accepted values.
LogFormat parse_log_format(const std::string& text);
telemetry::Level parse_log_level(const std::string& text);

// The line an event becomes, without a trailing newline.
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
