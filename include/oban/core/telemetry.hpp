#pragma once
// The one way the node reports what it does, modelled on Elixir's :telemetry as Oban uses
// it. Every component emits events; the default logger, the metrics and a user's own code
// are subscribers. Nothing in the library logs any other way.
//
// Names are Oban's event path after :oban, joined with ':' -- [:oban, :job, :stop] is
// "job:stop", [:oban, :engine, :fetch_jobs, :stop] is "engine:fetch_jobs:stop" -- so they
// read like the `event` field of Oban's default logger. Events Oban has keep Oban's name,
// measurements and metadata keys; events Oban lacks use the same shape ("component:what").
//
// Measurements follow Oban's units: durations ("duration", "queue_time") in nanoseconds
// (Oban's native time unit here), "system_time" in nanoseconds since the Unix epoch; the
// default logger prints durations in microseconds, as Oban's does.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "oban/core/value.hpp"

namespace oban::telemetry {

// How the default logger logs an event; metrics ignore it.
enum class Level { debug, info, warning, error };
std::string_view to_string(Level level);

struct Event {
  std::string name{};           // e.g. "job:stop"; a library's own events carry its prefix ("rindle:...")
  Level level = Level::info;
  Value::Object measurements{}; // e.g. {"duration": ns, "queue_time": ns}
  Value::Object metadata{};     // e.g. {"id": 1, "queue": "q", "worker": "W", "state": "success"}
  std::string message{};        // a sentence for people (Oban's logger has one for some events)
  std::string source = "oban";  // who reports it: "oban", or e.g. "rindle" for Rindle's own events
};

using Handler = std::function<void(const Event&)>;
using HandlerId = std::uint64_t;

// Calls `handler` for every event whose name starts with one of `prefixes` ("job:" for all
// job events, "job:stop" for one; empty for every event). Handlers run on the emitting
// thread, in attach order; they must be quick. An exception from a handler is swallowed
// (a subscriber must never break a job). Thread-safe; returns an id for detach().
HandlerId attach(std::vector<std::string> prefixes, Handler handler);
// The same, for events of `least` and above only (a logger set to warnings): events below
// it are never built for this handler's sake.
HandlerId attach(std::vector<std::string> prefixes, Level least, Handler handler);
void detach(HandlerId id) noexcept;

// Whether some handler would receive an event named `name` (at any level, or at `level`):
// hot paths check it before building metadata nobody reads.
bool wanted(std::string_view name);
bool wanted(std::string_view name, Level level);

void emit(const Event& event) noexcept;

// The common case: one call per event.
void emit(std::string name, Level level, Value::Object metadata, Value::Object measurements = {},
          std::string message = {}) noexcept;

// Nanoseconds, for measurements.
std::int64_t to_native(std::chrono::steady_clock::duration elapsed);
std::int64_t system_time_now();

// Measures a span, as :telemetry.span/3: emits "<prefix>:start" now, and "<prefix>:stop" (or
// "<prefix>:exception" when stop_with_error() was called) with "duration" when stopped or
// destroyed. Metadata given at start is repeated on the closing event, plus what add() set.
class Span {
 public:
  Span(std::string prefix, Value::Object metadata, Level level = Level::debug);
  ~Span();
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

  void add(std::string key, Value value);                 // more metadata for the closing event
  void set_level(Level level) { level_ = level; }          // how loudly the closing event is logged
  void stop() noexcept;                                   // emits ":stop" (once)
  void stop_with_error(std::string kind, std::string error, Level level = Level::warning) noexcept;

 private:
  std::string prefix_;
  Value::Object metadata_;
  Level level_;
  std::chrono::steady_clock::time_point started_;
  bool done_ = false;
};

}  // namespace oban::telemetry
