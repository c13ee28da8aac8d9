#pragma once
// A port of Erlang's portable term hash, erlang:phash2/1 (make_hash2 in the BEAM). Its
// value is the same on every node and OTP release, which is why Oban can use it for
// cron entry names and unique-lock keys, and why a foreign node can reproduce them.
#include <cstdint>
#include <string>

#include "oban/core/erlang_term.hpp"

namespace oban {

// erlang:phash2(Term): a value in 0 .. 2^27 - 1.
std::uint32_t phash2(const ErlangTerm& term);

// Oban.Plugins.Cron's entry name: the decimal text of
// phash2({expr, worker, opts_map}). `opts_map` must be a map, already shaped as Oban
// shapes it (string keys; "args" keys stringified; values left as they are).
// Throws std::invalid_argument when `opts_map` is not a map.
std::string cron_name(const std::string& expr, const std::string& worker, const ErlangTerm& opts_map);

}  // namespace oban
