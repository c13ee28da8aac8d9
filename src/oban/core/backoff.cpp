#include "oban/core/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace oban {

std::int64_t default_backoff(int attempt, int max_attempts, const std::function<double()>& unit_random) {
  // Oban scales the attempt into 0..20 when max_attempts is larger than 20.
  const double scaled = max_attempts <= 20
                            ? static_cast<double>(attempt)
                            : std::round(static_cast<double>(attempt) / max_attempts * 20.0);
  const int exponent = std::min(static_cast<int>(scaled), 100);
  const double base = 15.0 + std::pow(2.0, exponent);
  const double jitter = std::trunc(unit_random() * 0.1 * base);
  return static_cast<std::int64_t>(base + jitter);
}

std::int64_t default_backoff(int attempt, int max_attempts) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  // (0, 1]: Erlang's :rand.uniform/0 never returns 0.
  std::uniform_real_distribution<double> distribution{0.0, 1.0};
  return default_backoff(attempt, max_attempts, [&] { return 1.0 - distribution(engine); });
}

}  // namespace oban
