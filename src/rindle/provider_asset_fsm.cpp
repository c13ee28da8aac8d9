#include "rindle/provider_asset_fsm.hpp"

#include <array>
#include <utility>

namespace rindle {

bool transition_allowed(std::string_view from, std::string_view to) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kAllowed{{
      {"pending", "uploading"},
      {"pending", "errored"},
      {"uploading", "processing"},
      {"uploading", "errored"},
      {"processing", "ready"},
      {"processing", "errored"},
      {"ready", "errored"},
      {"ready", "deleted"},
      {"errored", "deleted"},
  }};
  if (from == "errored" && to == "processing") return true;
  for (const auto& [allowed_from, allowed_to] : kAllowed) {
    if (allowed_from == from && allowed_to == to) return true;
  }
  return false;
}

}  // namespace rindle
