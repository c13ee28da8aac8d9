#include "rindle/retry_after.hpp"

#include <cstdint>
#include <ctime>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>

namespace rindle {

namespace {

constexpr std::int64_t kMaxDeltaSeconds = std::numeric_limits<std::int32_t>::max();

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::optional<std::chrono::seconds> parse_delta_seconds(std::string_view text) {
  std::int64_t seconds = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + (c - '0');
    // Saturate rather than overflow: an absurd value still means "wait a long time".
    if (seconds > kMaxDeltaSeconds) seconds = kMaxDeltaSeconds;
  }
  return std::chrono::seconds{seconds};
}

std::optional<std::chrono::seconds> parse_http_date(std::string_view text,
                                                    std::chrono::system_clock::time_point now) {
  std::tm parts{};
  std::istringstream in{std::string(text)};
  in.imbue(std::locale::classic());
  in >> std::get_time(&parts, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) return std::nullopt;
  in >> std::ws;
  if (!in.eof()) return std::nullopt;
  const std::time_t at = timegm(&parts);
  if (at == static_cast<std::time_t>(-1)) return std::nullopt;
  const auto wait = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::from_time_t(at) - now);
  return wait.count() > 0 ? wait : std::chrono::seconds{0};
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') return parse_delta_seconds(value);
  return parse_http_date(value, now);
}

}  // namespace rindle
