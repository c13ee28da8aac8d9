#include "oban/core/timestamp.hpp"

#include <date/date.h>

#include <sstream>
#include <stdexcept>

namespace oban {
namespace {

// Every fetched row carries several timestamps and every ack writes two, so the common
// shape (years 1..9999) is written and read by hand; date's stream-based format and parse,
// which give the same text, remain for anything else.
std::string format_fast(Timestamp t, char separator, const char* suffix, const char* slow_format) {
  const auto day = date::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const int year = static_cast<int>(ymd.year());
  if (year < 1 || year > 9999) return date::format(slow_format, t);
  const auto micros = (t - day).count();  // 0 .. 86'399'999'999
  const auto seconds = micros / 1'000'000;
  // "YYYY-MM-DD HH:MM:SS.ffffff": digits written in place (snprintf was a tenth of an ack's cost).
  std::string text(26, '0');
  const auto put = [&text](std::size_t at, std::size_t count, long long value) {
    for (std::size_t i = at + count; i > at; --i, value /= 10) text[i - 1] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, year);
  text[4] = '-';
  put(5, 2, static_cast<unsigned>(ymd.month()));
  text[7] = '-';
  put(8, 2, static_cast<unsigned>(ymd.day()));
  text[10] = separator;
  put(11, 2, seconds / 3600);
  text[13] = ':';
  put(14, 2, seconds / 60 % 60);
  text[16] = ':';
  put(17, 2, seconds % 60);
  text[19] = '.';
  put(20, 6, micros % 1'000'000);
  return text + suffix;
}

// `count` digits at text[at...], or -1.
int digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// "YYYY-MM-DD HH:MM:SS[.f{1,6}]" (or 'T'), optionally 'Z'; false for anything else.
bool parse_fast(std::string_view text, Timestamp& out) {
  if (!text.empty() && text.back() == 'Z') text.remove_suffix(1);
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || (text[10] != ' ' && text[10] != 'T') ||
      text[13] != ':' || text[16] != ':') {
    return false;
  }
  const int year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
  const int hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second > 59) {
    return false;
  }
  long long micros = 0;
  if (text.size() > 19) {
    const std::size_t count = text.size() - 20;
    if (text[19] != '.' || count < 1 || count > 6) return false;
    const int fraction = digits(text, 20, count);
    if (fraction < 0) return false;
    micros = fraction;
    for (std::size_t i = count; i < 6; ++i) micros *= 10;
  }
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return false;
  out = Timestamp{date::sys_days{ymd}} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
        std::chrono::seconds{second} + std::chrono::microseconds{micros};
  return true;
}

}  // namespace

std::string format_sql_timestamp(Timestamp t) { return format_fast(t, ' ', "", "%Y-%m-%d %H:%M:%S"); }

std::string format_iso8601(Timestamp t) { return format_fast(t, 'T', "Z", "%Y-%m-%dT%H:%M:%SZ"); }

Timestamp parse_sql_timestamp(std::string_view text) {
  Timestamp parsed{};
  if (parse_fast(text, parsed)) return parsed;
  std::string normalized{text};
  if (normalized.size() > 10 && normalized[10] == 'T') normalized[10] = ' ';
  if (!normalized.empty() && normalized.back() == 'Z') normalized.pop_back();
  std::istringstream in{normalized};
  in >> date::parse("%Y-%m-%d %H:%M:%S", parsed);
  if (in.fail()) {
    throw std::invalid_argument("not a timestamp: '" + std::string{text} + "'");
  }
  return parsed;
}

}  // namespace oban
