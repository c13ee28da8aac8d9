#include "log_capture.hpp"

#include <mutex>

#include "oban/json/json_value.hpp"
#include "oban/runtime/default_logger.hpp"

namespace fault {

struct CapturedEvent {
  std::string name;
  std::string text_line;  // the default logger's text line ("" when it logs nothing)
  std::string json_line;  // ... and its JSON line
  std::string whole;      // event_json()
};

struct LogCapture::State {
  mutable std::mutex mutex;
  std::vector<CapturedEvent> events;  // guarded by mutex
};

LogCapture& LogCapture::instance() {
  static LogCapture capture;
  return capture;
}

LogCapture::LogCapture() : state_(new State) {
  // Every event, whatever its level: the scan must see what a debug log would hold.
  oban::telemetry::attach({}, [this](const oban::telemetry::Event& event) { record(event); });
}

void LogCapture::record(const oban::telemetry::Event& event) {
  // Formatted on the emitting thread, as the default logger does.
  CapturedEvent captured{event.name, oban::format_text_line(event), oban::format_json_line(event),
                         event_json(event)};
  std::lock_guard lock{state_->mutex};
  state_->events.push_back(std::move(captured));
}

void LogCapture::clear() {
  std::lock_guard lock{state_->mutex};
  state_->events.clear();
}

std::vector<std::string> LogCapture::texts() const {
  std::lock_guard lock{state_->mutex};
  std::vector<std::string> texts;
  texts.reserve(state_->events.size() * 3);
  for (const auto& event : state_->events) {
    for (const auto* text : {&event.text_line, &event.json_line, &event.whole}) {
      if (!text->empty()) texts.push_back(*text);
    }
  }
  return texts;
}

std::vector<std::string> LogCapture::tail(std::size_t count) const {
  std::lock_guard lock{state_->mutex};
  const auto& events = state_->events;
  std::vector<std::string> lines;
  for (auto i = events.size() > count ? events.size() - count : 0; i < events.size(); ++i) {
    lines.push_back(events[i].text_line.empty() ? events[i].whole : events[i].text_line);
  }
  return lines;
}

std::size_t LogCapture::count_events(std::string_view name) const {
  std::lock_guard lock{state_->mutex};
  std::size_t count = 0;
  for (const auto& event : state_->events) count += event.name == name ? 1 : 0;
  return count;
}

std::string event_json(const oban::telemetry::Event& event) {
  oban::Value::Object whole{{"event", event.name},
                            {"level", std::string{oban::telemetry::to_string(event.level)}},
                            {"source", event.source},
                            {"message", event.message},
                            {"metadata", event.metadata},
                            {"measurements", event.measurements}};
  return oban::json::write(oban::Value{std::move(whole)});
}

}  // namespace fault
