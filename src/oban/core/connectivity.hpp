#pragma once
// What the Sonar knows about the notifier, as Oban's Notifier.status/1 reports it:
// unknown (nothing decided yet), isolated (not even our own pings come back), solitary (only
// ours do) or clustered (other nodes' pings arrive too). The stager picks its mode from it.
#include <string_view>

namespace oban::core {

enum class Connectivity { unknown, isolated, solitary, clustered };

constexpr std::string_view to_string(Connectivity status) {
  switch (status) {
    case Connectivity::isolated: return "isolated";
    case Connectivity::solitary: return "solitary";
    case Connectivity::clustered: return "clustered";
    case Connectivity::unknown: break;
  }
  return "unknown";
}

}  // namespace oban::core
