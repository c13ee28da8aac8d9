#pragma once
// Oban stores every time as a UTC wall-clock value in `timestamp without time zone`
// with microsecond precision. This is the one type for those values.
#include <chrono>
#include <string>
#include <string_view>

namespace oban {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// "2026-11-28 09:34:00.469444": the text to bind to a `timestamp` parameter
// (always cast `$n::timestamp` in SQL, never timestamptz, so no session TimeZone applies).
std::string format_sql_timestamp(Timestamp t);

// "2026-11-28T09:34:16.212170Z": how Elixir encodes DateTime.utc_now() in an errors entry.
std::string format_iso8601(Timestamp t);

// Parses what PostgreSQL prints for a `timestamp` ("2026-11-28 09:34:00.469444", fraction
// optional, 'T' accepted as separator, trailing 'Z' ignored). Throws std::invalid_argument.
Timestamp parse_sql_timestamp(std::string_view text);

}  // namespace oban
