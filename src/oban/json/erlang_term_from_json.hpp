#pragma once
// JSON as the Erlang term Jason would decode it to: objects → maps with binary keys,
// strings → binaries, integers → integers, true/false/null → atoms, arrays → lists.
#include <string_view>

#include "oban/core/erlang_term.hpp"

namespace oban::json {

// Throws std::invalid_argument for invalid JSON, and for floats (phash2 of floats is not
// ported; cron args do not need them).
ErlangTerm erlang_term_from_json(std::string_view json);

}  // namespace oban::json
