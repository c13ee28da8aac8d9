#pragma once
#include <chrono>
#include <optional>
#include <string_view>

namespace rindle {

// An HTTP Retry-After value (RFC 9110 §10.2.3) as a wait from `now`: delta-seconds
// ("120") or an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"; a date in the past
// gives 0 s). Anything else, including the obsolete date formats, gives nullopt.
std::optional<std::chrono::seconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace rindle
