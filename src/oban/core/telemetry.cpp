#include "oban/core/telemetry.hpp"

#include <algorithm>
#include <memory>
#include <mutex>

namespace oban::telemetry {
namespace {

struct Subscription {
  HandlerId id;
  std::vector<std::string> prefixes;
  Level least;
  Handler handler;

  bool wants(std::string_view name) const {
    if (prefixes.empty()) return true;
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) { return name.starts_with(p); });
  }
  bool wants(std::string_view name, Level level) const {
    return static_cast<int>(level) >= static_cast<int>(least) && wants(name);
  }
};

using Subscriptions = std::vector<Subscription>;

// Copy-on-write: emit() takes a snapshot under the mutex and calls handlers outside it, so a
// handler may attach or detach, and a slow handler never blocks another thread's attach.
struct Registry {
  std::mutex mutex;
  std::shared_ptr<const Subscriptions> current = std::make_shared<const Subscriptions>();
  HandlerId next_id = 1;

  std::shared_ptr<const Subscriptions> snapshot() {
    std::lock_guard lock{mutex};
    return current;
  }
};

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

std::string_view to_string(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
  }
  return "info";
}

HandlerId attach(std::vector<std::string> prefixes, Handler handler) {
  return attach(std::move(prefixes), Level::debug, std::move(handler));
}

HandlerId attach(std::vector<std::string> prefixes, Level least, Handler handler) {
  auto& r = registry();
  std::lock_guard lock{r.mutex};
  auto next = std::make_shared<Subscriptions>(*r.current);
  const HandlerId id = r.next_id++;
  next->push_back({id, std::move(prefixes), least, std::move(handler)});
  r.current = std::move(next);
  return id;
}

void detach(HandlerId id) noexcept {
  auto& r = registry();
  std::lock_guard lock{r.mutex};
  auto next = std::make_shared<Subscriptions>(*r.current);
  next->erase(std::remove_if(next->begin(), next->end(), [&](const Subscription& s) { return s.id == id; }),
              next->end());
  r.current = std::move(next);
}

bool wanted(std::string_view name) { return wanted(name, Level::error); }

bool wanted(std::string_view name, Level level) {
  const auto subscriptions = registry().snapshot();
  return std::any_of(subscriptions->begin(), subscriptions->end(),
                     [&](const Subscription& s) { return s.wants(name, level); });
}

void emit(const Event& event) noexcept {
  std::shared_ptr<const Subscriptions> subscriptions;
  try {
    subscriptions = registry().snapshot();
  } catch (...) {
    return;
  }
  for (const auto& subscription : *subscriptions) {
    if (!subscription.wants(event.name, event.level)) continue;
    try {
      subscription.handler(event);
    } catch (...) {
      // A subscriber must never break the code that reports.
    }
  }
}

void emit(std::string name, Level level, Value::Object metadata, Value::Object measurements,
          std::string message) noexcept {
  try {
    emit(Event{std::move(name), level, std::move(measurements), std::move(metadata), std::move(message)});
  } catch (...) {
    // Building the event ran out of memory: nothing sensible to report.
  }
}

std::int64_t to_native(std::chrono::steady_clock::duration elapsed) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
}

std::int64_t system_time_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Span::Span(std::string prefix, Value::Object metadata, Level level)
    : prefix_(std::move(prefix)), metadata_(std::move(metadata)), level_(level), started_(std::chrono::steady_clock::now()) {
  if (wanted(prefix_ + ":start", level_)) {
    emit(prefix_ + ":start", level_, metadata_, Value::Object{{"system_time", system_time_now()}});
  }
}

Span::~Span() { stop(); }

void Span::add(std::string key, Value value) { metadata_[std::move(key)] = std::move(value); }

void Span::stop() noexcept {
  if (done_) return;
  done_ = true;
  try {
    const auto name = prefix_ + ":stop";
    if (!wanted(name, level_)) return;
    emit(name, level_, metadata_, Value::Object{{"duration", to_native(std::chrono::steady_clock::now() - started_)}});
  } catch (...) {
  }
}

void Span::stop_with_error(std::string kind, std::string error, Level level) noexcept {
  if (done_) return;
  done_ = true;
  try {
    const auto name = prefix_ + ":exception";
    if (!wanted(name, level)) return;
    metadata_["kind"] = std::move(kind);
    metadata_["error"] = std::move(error);
    emit(name, level, metadata_, Value::Object{{"duration", to_native(std::chrono::steady_clock::now() - started_)}});
  } catch (...) {
  }
}

}  // namespace oban::telemetry
