#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace rindle {

// Mux's asset status → Rindle's provider-asset state, as Rindle's normalize_state/1:
// preparing→processing, ready→ready, errored→errored, deleted→deleted; anything else
// is unknown (nullopt), which the sync worker logs and treats as unreachable.
std::optional<std::string> normalize_mux_status(std::string_view mux_status);

}  // namespace rindle
