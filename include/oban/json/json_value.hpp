#pragma once
// oban::Value to JSON text and back.
#include <string>
#include <string_view>

#include "oban/core/value.hpp"

namespace oban::json {

// Compact JSON (object keys sorted, as Value keeps them). Strings are made safe for jsonb
// on the way out: invalid UTF-8 becomes U+FFFD and NUL becomes U+FFFD too, since
// PostgreSQL's jsonb refuses "\u0000" and an errors entry must never be refused.
std::string write(const Value& value);

// Parses any JSON value. Throws std::invalid_argument naming the problem.
Value parse(std::string_view text);

}  // namespace oban::json
