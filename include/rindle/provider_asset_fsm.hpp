#pragma once
// Rindle v0.1.5's provider-asset state machine (lib/rindle/domain/provider_asset_fsm.ex).
#include <string_view>

namespace rindle {

// pending→{uploading, errored}; uploading→{processing, errored}; processing→{ready, errored};
// ready→{errored, deleted}; errored→{deleted, processing}; deleted→{}.
bool transition_allowed(std::string_view from, std::string_view to);

}  // namespace rindle
