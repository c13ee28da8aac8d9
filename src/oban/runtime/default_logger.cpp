#include "oban/runtime/default_logger.hpp"

#include <map>
#include <optional>
#include <stdexcept>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "oban/core/timestamp.hpp"
#include "oban/json/json_value.hpp"

namespace oban {
namespace {

const Value* member(const Value::Object& object, const char* key) {
  const auto found = object.find(key);
  return found == object.end() ? nullptr : &found->second;
}

// Oban's logger prints durations in microseconds (System.convert_time_unit native ->
// microsecond, truncating); our measurements are nanoseconds.
bool is_duration(const std::string& key) { return key == "duration" || key == "queue_time"; }

Value printable(const std::string& key, const Value& value) {
  const auto* ns = value.if_integer();
  return ns && is_duration(key) ? Value{*ns / 1000} : value;
}

void copy(Value::Object& to, const Value::Object& from, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (const auto* value = member(from, key)) to[key] = printable(key, *value);
  }
}

// The keys each of Oban's plugins puts in its plugin:stop line (their format_logger_output/2).
const std::map<std::string, std::vector<const char*>>& oban_plugin_keys() {
  static const std::map<std::string, std::vector<const char*>> keys{
      {"Oban.Plugins.Pruner", {"pruned_count"}},
      {"Oban.Plugins.Lifeline", {"discarded_jobs", "rescued_jobs"}},
      {"Oban.Plugins.Cron", {"jobs"}},
  };
  return keys;
}

std::string text_of(const Value* value) {
  const auto* text = value ? value->if_string() : nullptr;
  return text ? *text : std::string{};
}

bool truthy(const Value* value) {
  const auto* flag = value ? value->if_bool() : nullptr;
  return flag && *flag;
}

// Every metadata and measurement key, as Oban would print a map it has no formatter for.
Value::Object generic_fields(const telemetry::Event& event) {
  Value::Object fields = event.metadata;
  for (const auto& [key, value] : event.measurements) fields[key] = printable(key, value);
  fields["event"] = event.name;
  if (!event.message.empty()) fields["message"] = event.message;
  return fields;
}

// The fields of the line Oban's default logger writes for `event` (Oban.Telemetry's
// dispatch_event/4), nullopt when Oban logs nothing for it, or the generic shape for
// events Oban has no formatter for.
std::optional<Value::Object> oban_fields(const telemetry::Event& event) {
  const auto& meta = event.metadata;
  const auto& measure = event.measurements;
  const auto& name = event.name;
  Value::Object fields;
  if (name == "job:start" || name == "job:stop" || name == "job:exception") {
    copy(fields, meta, {"attempt", "args", "id", "max_attempts", "meta", "queue", "tags", "worker"});
    fields["event"] = name;
    if (name == "job:start") {
      copy(fields, measure, {"system_time"});
    } else {
      copy(fields, measure, {"duration", "queue_time"});
      copy(fields, meta, {"state"});
      if (name == "job:exception") copy(fields, meta, {"error"});
    }
    return fields;
  }
  if (name == "plugin:stop" || name == "plugin:exception") {
    const auto plugin = text_of(member(meta, "plugin"));
    fields["event"] = name;
    fields["plugin"] = plugin;
    copy(fields, measure, {"duration"});
    if (name == "plugin:exception") {
      copy(fields, meta, {"error"});
      return fields;
    }
    const auto oban = oban_plugin_keys().find(plugin);
    if (oban == oban_plugin_keys().end()) {
      for (const auto& [key, value] : meta) fields.emplace(key, value);  // not one of Oban's: all it reported
    } else {
      for (const char* key : oban->second) copy(fields, meta, {key});
    }
    return fields;
  }
  if (name == "peer:election:stop") {
    const bool leader = truthy(member(meta, "leader"));
    const bool was_leader = truthy(member(meta, "was_leader"));
    if (leader == was_leader) {
      // Oban logs only changes; a failed election that changed nothing still says why.
      if (member(meta, "error")) return generic_fields(event);
      return std::nullopt;
    }
    fields["event"] = "peer:election";
    fields["leader"] = leader;
    fields["was_leader"] = was_leader;
    fields["message"] = leader ? "peer became leader" : "peer is no longer leader";
    copy(fields, meta, {"node", "error"});
    return fields;
  }
  if (name == "notifier:switch") {
    const auto status = text_of(member(meta, "status"));
    fields["event"] = name;
    fields["connectivity_status"] = status;
    if (status == "isolated") {
      fields["message"] = "notifier can't receive messages from any nodes, functionality degraded";
    } else if (status == "solitary") {
      fields["message"] = "notifier only receiving messages from its own node, functionality may be degraded";
    } else {
      fields["message"] = "notifier is receiving messages from other nodes";
    }
    return fields;
  }
  if (name == "stager:switch") {
    const auto mode = text_of(member(meta, "mode"));
    fields["event"] = name;
    fields["mode"] = mode;
    fields["message"] = mode == "local"
                            ? "job staging switched to local mode. local mode polls for jobs for every queue; "
                              "restore global mode with a functional notifier"
                            : "job staging switched back to global mode";
    return fields;
  }
  if (name == "queue:shutdown") {
    const auto* orphaned = member(meta, "orphaned");
    if (!orphaned || !orphaned->if_array() || orphaned->if_array()->empty()) return std::nullopt;
    fields["event"] = name;
    copy(fields, measure, {"elapsed"});
    copy(fields, meta, {"orphaned", "queue"});
    fields["message"] = event.message.empty()
                            ? "jobs were orphaned because they didn't finish executing in the allotted time"
                            : event.message;
    return fields;
  }
  return generic_fields(event);
}

std::string now_iso8601() {
  return format_iso8601(std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
}

// The fields with what Oban leaves to the Logger prefix: source, level, time, node.
std::optional<Value::Object> line_fields(const telemetry::Event& event) {
  auto fields = oban_fields(event);
  if (!fields) return std::nullopt;
  (*fields)["source"] = event.source;
  (*fields)["level"] = std::string{telemetry::to_string(event.level)};
  (*fields)["time"] = now_iso8601();
  if (const auto* node = member(event.metadata, "node"); node && node->if_string()) (*fields)["node"] = *node;
  return fields;
}

// spdlog writes each line whole (its sinks lock), so lines from many threads never
// interleave; the line already carries its time and level.
std::shared_ptr<spdlog::logger> stderr_logger() {
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
  const auto fields = line_fields(event);
  return fields ? json::write(*fields) : std::string{};
}

std::string format_text_line(const telemetry::Event& event) {
  auto fields = line_fields(event);
  if (!fields) return {};
  std::string line = text_of(member(*fields, "time")) + " [" + text_of(member(*fields, "level")) + "] " +
                     text_of(member(*fields, "event"));
  fields->erase("time");
  fields->erase("level");
  fields->erase("event");
  if (text_of(member(*fields, "source")) == "oban") fields->erase("source");
  for (const auto& [key, value] : *fields) line += " " + key + "=" + json::write(value);
  return line;
}

DefaultLogger::DefaultLogger(LoggerOptions options)
    // Attached at its level: events below it are not even built (job:start and job:stop
    // for every job are info).
    : id_(telemetry::attach({}, options.level, [options, logger = stderr_logger()](const telemetry::Event& event) {
        const auto line = options.format == LogFormat::json ? format_json_line(event) : format_text_line(event);
        if (line.empty()) return;
        if (options.sink) {
          options.sink(line);
        } else {
          logger->info(line);
        }
      })) {}

DefaultLogger::~DefaultLogger() { telemetry::detach(id_); }

}  // namespace oban
