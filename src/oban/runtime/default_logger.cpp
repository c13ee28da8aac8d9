#include "oban/runtime/default_logger.hpp"

#include <stdexcept>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "oban/core/timestamp.hpp"
#include "oban/json/json_value.hpp"
#include "oban/json/json_writer.hpp"

namespace oban {
namespace {

int rank(telemetry::Level level) { return static_cast<int>(level); }

// Oban's logger prints durations in microseconds; our measurements are nanoseconds.
Value::Object printable_measurements(const telemetry::Event& event) {
  Value::Object out;
  for (const auto& [key, value] : event.measurements) {
    const auto* ns = value.if_integer();
    if (ns && (key == "duration" || key == "queue_time")) {
      out[key] = *ns / 1000;
    } else {
      out[key] = value;
    }
  }
  return out;
}

std::string now_iso8601() {
  return format_iso8601(std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
}

// spdlog writes each line whole (its sinks lock), so lines from many threads never
// interleave; the line already carries its time and level.
std::shared_ptr<spdlog::logger> line_logger() {
  static const auto logger = [] {
    auto created = std::make_shared<spdlog::logger>("oban", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    created->set_pattern("%v");
    created->flush_on(spdlog::level::trace);
    return created;
  }();
  return logger;
}

}  // namespace

LogFormat parse_log_format(const std::string& text) {
  if (text == "text") return LogFormat::text;
  if (text == "json") return LogFormat::json;
  throw std::invalid_argument("log format '" + text + "' is not one of: text, json");
}

telemetry::Level parse_log_level(const std::string& text) {
  if (text == "debug") return telemetry::Level::debug;
  if (text == "info") return telemetry::Level::info;
  if (text == "warning" || text == "warn") return telemetry::Level::warning;
  if (text == "error") return telemetry::Level::error;
  throw std::invalid_argument("log level '" + text + "' is not one of: debug, info, warning, error");
}

std::string format_json_line(const telemetry::Event& event) {
  Value::Object line = event.metadata;
  for (auto& [key, value] : printable_measurements(event)) line[key] = std::move(value);
  line["event"] = event.name;
  line["source"] = event.source;
  if (!event.message.empty()) line["message"] = event.message;
  line["level"] = std::string{telemetry::to_string(event.level)};
  line["time"] = now_iso8601();
  return json::write(line);
}

std::string format_text_line(const telemetry::Event& event) {
  std::string line = now_iso8601() + " [" + std::string{telemetry::to_string(event.level)} + "] " + event.name;
  if (event.source != "oban") line += " source=" + event.source;
  auto field = [&](const std::string& key, const Value& value) { line += " " + key + "=" + json::write(value); };
  for (const auto& [key, value] : event.metadata) field(key, value);
  for (const auto& [key, value] : printable_measurements(event)) field(key, value);
  if (!event.message.empty()) field("message", event.message);
  return line;
}

DefaultLogger::DefaultLogger(LoggerOptions options)
    : id_(telemetry::attach({}, [options, logger = line_logger()](const telemetry::Event& event) {
        if (rank(event.level) < rank(options.level)) return;
        logger->info(options.format == LogFormat::json ? format_json_line(event) : format_text_line(event));
      })) {}

DefaultLogger::~DefaultLogger() { telemetry::detach(id_); }

}  // namespace oban
