#pragma once
#include <cstdint>
#include <functional>

namespace oban {

// Oban.Worker.backoff/1 default, in seconds: a = attempt (scaled to 20 when
// max_attempts > 20), base = 15 + 2^min(a, 100), plus up to 10% jitter, never less.
// `unit_random` returns a value in (0, 1]; tests pass a fixed one.
std::int64_t default_backoff(int attempt, int max_attempts, const std::function<double()>& unit_random);
std::int64_t default_backoff(int attempt, int max_attempts);

}  // namespace oban
