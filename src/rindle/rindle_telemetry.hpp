#pragma once
// Rindle's own events, through the node's telemetry with source "rindle": the names are
// Rindle's telemetry events and log lines, with ':' for '.' ("rindle:provider:sync:resolved").
#include <string>

#include "oban/core/telemetry.hpp"

namespace rindle {

inline void report(std::string name, oban::telemetry::Level level, oban::Value::Object metadata) {
  oban::telemetry::Event event;
  event.name = std::move(name);
  event.level = level;
  event.metadata = std::move(metadata);
  event.measurements = {{"system_time", oban::telemetry::system_time_now()}};
  event.source = "rindle";
  oban::telemetry::emit(event);
}

}  // namespace rindle
