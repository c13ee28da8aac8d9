#include "oban/core/cron_expression.hpp"

// The packaged date-tz library is built to read the system zoneinfo (USE_OS_TZDB=1); tz.h
// declares a different API without it, so make sure this translation unit agrees with
// the library even when the build did not pass the definition.
#ifndef USE_OS_TZDB
#define USE_OS_TZDB 1
#endif
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <bit>
#include <stdexcept>
#include <utility>
#include <vector>

namespace oban {
namespace {

using LocalMinutes = date::local_time<std::chrono::minutes>;
using SysMinutes = date::sys_time<std::chrono::minutes>;

struct FieldRange {
  unsigned min;
  unsigned max;
  // How Elixir inspects the range in error messages.
  std::string text() const { return std::to_string(min) + ".." + std::to_string(max); }
};

constexpr FieldRange kMinuteRange{0, 59};
constexpr FieldRange kHourRange{0, 23};
constexpr FieldRange kDayRange{1, 31};
constexpr FieldRange kMonthRange{1, 12};
constexpr FieldRange kWeekdayRange{0, 6};

// Oban's name tables, in the order Elixir enumerates a small map (sorted keys). The
// replacement is textual and sequential, so the order is part of the behaviour.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kWeekdayNames{{
    {"FRI", "5"}, {"MON", "1"}, {"SAT", "6"}, {"SUN", "0"}, {"THU", "4"}, {"TUE", "2"}, {"WED", "3"},
}};
constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kMonthNames{{
    {"APR", "4"}, {"AUG", "8"}, {"DEC", "12"}, {"FEB", "2"}, {"JAN", "1"}, {"JUL", "7"},
    {"JUN", "6"}, {"MAR", "3"}, {"MAY", "5"}, {"NOV", "11"}, {"OCT", "10"}, {"SEP", "9"},
}};

// Longest day of each month in any year (29 February counts as possible).
constexpr std::array<unsigned, 13> kMaxDaysPerMonth{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

// Elixir's nicknames and what Oban expands them to.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kNicknames{{
    {"@annually", "0 0 1 1 *"},
    {"@yearly", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@midnight", "0 0 * * *"},
    {"@daily", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

// `\s` of Erlang's regex engine without Unicode: HT, LF, VT, FF, CR and space.
bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// `[1-9]\d?`: the step syntax, which keeps steps within 1..99.
bool is_step(std::string_view text) {
  return (text.size() == 1 || text.size() == 2) && text[0] >= '1' && text[0] <= '9' && all_digits(text);
}

[[noreturn]] void fail(std::string message) { throw std::invalid_argument(std::move(message)); }

// Oban splits with String.split(input, ~r/\s+/, trim: true, parts: 5): leading
// whitespace yields nothing, and the fifth part is the unsplit rest, so a sixth field or
// trailing whitespace ends up inside the weekday field and makes it invalid there.
std::vector<std::string_view> split_fields(std::string_view input) {
  constexpr std::size_t kMaxParts = 5;
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos < input.size()) {
    if (parts.size() == kMaxParts - 1) {
      parts.push_back(input.substr(pos));
      break;
    }
    std::size_t run = pos;
    while (run < input.size() && !is_space(input[run])) ++run;
    if (run > pos) parts.push_back(input.substr(pos, run - pos));
    while (run < input.size() && is_space(input[run])) ++run;
    pos = run;
  }
  return parts;
}

// String.split(field, ~r/\s*,\s*/): commas with any surrounding whitespace separate
// parts; empty parts are kept (and later rejected).
std::vector<std::string_view> split_list(std::string_view field) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t comma = field.find(','); comma != std::string_view::npos; comma = field.find(',', start)) {
    std::size_t end = comma;
    while (end > start && is_space(field[end - 1])) --end;
    parts.push_back(field.substr(start, end - start));
    start = comma + 1;
    while (start < field.size() && is_space(field[start])) ++start;
  }
  parts.push_back(field.substr(start));
  return parts;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

template <std::size_t N>
std::string translate_names(std::string_view field, const std::array<std::pair<std::string_view, std::string_view>, N>& names) {
  std::string text(field);
  for (const auto& [name, number] : names) text = replace_all(std::move(text), name, number);
  return text;
}

// Elixir integers are unbounded, so a field may hold any number of digits. Keep the
// decimal text for messages and exact comparisons, and a saturated value for bounds.
struct Number {
  std::string text;  // without leading zeros, as Elixir prints the integer
  unsigned value;    // saturated at kSaturated

  static constexpr unsigned kSaturated = 1'000'000;

  static Number parse(std::string_view digits) {
    const std::size_t first = std::min(digits.find_first_not_of('0'), digits.size() - 1);
    Number number{std::string(digits.substr(first)), 0};
    for (char c : number.text) {
      number.value = std::min(kSaturated, number.value * 10 + static_cast<unsigned>(c - '0'));
    }
    return number;
  }

  friend bool operator>(const Number& a, const Number& b) {
    return a.text.size() != b.text.size() ? a.text.size() > b.text.size() : a.text > b.text;
  }
};

// Values are collected in a set of bits; anything above 63 (out of range for every field)
// is remembered separately so the range check after the whole list still fails.
struct ValueSet {
  std::uint64_t bits = 0;
  bool has_overflow = false;

  void add(unsigned value) {
    if (value < 64) {
      bits |= std::uint64_t{1} << value;
    } else {
      has_overflow = true;
    }
  }
  void add_stepped(unsigned from, unsigned to, unsigned step) {
    for (unsigned v = from; v <= to; v += step) add(v);
  }
};

// `A-B` or `A` (meaning A to the field maximum) as used before a step; checked before
// anything is expanded, with Oban's messages.
std::pair<unsigned, unsigned> parse_range(std::string_view text, FieldRange range) {
  const std::size_t dash = text.find('-');
  const Number low = Number::parse(text.substr(0, dash));
  const Number high =
      dash == std::string_view::npos ? Number::parse(std::to_string(range.max)) : Number::parse(text.substr(dash + 1));
  if (low > high) {
    fail("min (" + low.text + ") of range must be less than or equal to the max (" + high.text + ")");
  }
  if (low.value < range.min || high.value > range.max) {
    fail("expression field " + std::string(text) + " is out of range: " + range.text());
  }
  return {low.value, high.value};
}

void parse_part(std::string_view part, FieldRange range, ValueSet& values) {
  const std::size_t slash = part.find('/');
  const std::string_view before_slash = part.substr(0, slash);
  const std::string_view step_text = slash == std::string_view::npos ? std::string_view{} : part.substr(slash + 1);
  const std::size_t dash = before_slash.find('-');
  const bool is_range_text =
      dash == std::string_view::npos
          ? all_digits(before_slash)
          : all_digits(before_slash.substr(0, dash)) && all_digits(before_slash.substr(dash + 1));

  if (part == "*") {
    values.add_stepped(range.min, range.max, 1);
  } else if (all_digits(part)) {
    values.add(Number::parse(part).value);
  } else if (before_slash == "*" && is_step(step_text)) {
    values.add_stepped(range.min, range.max, Number::parse(step_text).value);
  } else if (slash != std::string_view::npos && is_range_text && is_step(step_text)) {
    const auto [low, high] = parse_range(before_slash, range);
    values.add_stepped(low, high, Number::parse(step_text).value);
  } else if (slash == std::string_view::npos && dash != std::string_view::npos && is_range_text) {
    const auto [low, high] = parse_range(part, range);
    values.add_stepped(low, high, 1);
  } else {
    fail("unrecognized cron expression: " + std::string(part));
  }
}

std::uint64_t parse_field(std::string_view field, FieldRange range) {
  ValueSet values;
  for (std::string_view part : split_list(field)) parse_part(part, range, values);
  // Oban checks literals only here, after every part of the list has been read.
  const std::uint64_t below_min = range.min == 0 ? 0 : (std::uint64_t{1} << range.min) - 1;
  const std::uint64_t above_max = ~((std::uint64_t{1} << (range.max + 1)) - 1);
  if (values.has_overflow || (values.bits & (below_min | above_max)) != 0) {
    fail("expression field " + std::string(field) + " is out of range: " + range.text());
  }
  return values.bits;
}

bool has(std::uint64_t bits, unsigned value) { return value < 64 && ((bits >> value) & 1U) != 0; }

// Since Oban 2.22.1 a crontab whose day and month fields can never meet is rejected,
// unless either field is literally "*". 29 February counts as possible.
void validate_days(std::uint64_t days, std::uint64_t months, std::string_view day_field, std::string_view month_field) {
  if (day_field == "*" || month_field == "*") return;
  for (unsigned month = kMonthRange.min; month <= kMonthRange.max; ++month) {
    if (!has(months, month)) continue;
    for (unsigned day = kDayRange.min; day <= kMaxDaysPerMonth[month]; ++day) {
      if (has(days, day)) return;
    }
  }
  // The fields reached here hold only digits, '*', ',', '-', '/' and month names, so
  // quoting them is all Elixir's inspect does.
  fail("no day in \"" + std::string(day_field) + "\" can occur in months \"" + std::string(month_field) + "\"");
}

const date::time_zone* find_zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception& error) {
    throw std::invalid_argument("unknown time zone \"" + name + "\": " + error.what());
  }
}

}  // namespace

CronExpression CronExpression::parse(std::string_view input) {
  CronExpression expression;
  expression.text_ = std::string(input);
  if (input == "@reboot") {
    expression.reboot_ = true;
    return expression;
  }
  std::string_view body = input;
  for (const auto& [nickname, expansion] : kNicknames) {
    if (input == nickname) body = expansion;
  }

  const std::vector<std::string_view> fields = split_fields(body);
  if (fields.size() != 5) fail("incorrect number of fields in expression: " + std::string(input));
  const std::string_view minute_field = fields[0];
  const std::string_view hour_field = fields[1];
  const std::string_view day_field = fields[2];
  const std::string_view month_field = fields[3];
  const std::string_view weekday_field = fields[4];

  // Oban's order, which decides which error a doubly invalid expression reports.
  const std::uint64_t days = parse_field(day_field, kDayRange);
  const std::uint64_t months = parse_field(translate_names(month_field, kMonthNames), kMonthRange);
  validate_days(days, months, day_field, month_field);
  expression.minutes_ = parse_field(minute_field, kMinuteRange);
  expression.hours_ = static_cast<std::uint32_t>(parse_field(hour_field, kHourRange));
  expression.days_ = static_cast<std::uint32_t>(days);
  expression.months_ = static_cast<std::uint32_t>(months);
  expression.weekdays_ = static_cast<std::uint32_t>(parse_field(translate_names(weekday_field, kWeekdayNames), kWeekdayRange));
  return expression;
}

bool CronExpression::matches_date(date::local_days day) const {
  const date::year_month_day ymd{day};
  const unsigned weekday = date::weekday{day}.c_encoding();
  return has(months_, static_cast<unsigned>(ymd.month())) && has(days_, static_cast<unsigned>(ymd.day())) &&
         has(weekdays_, weekday);
}

bool CronExpression::matches(const date::local_time<std::chrono::minutes>& local) const {
  if (reboot_) return true;
  const date::local_days day = date::floor<date::days>(local);
  const auto minute_of_day = static_cast<unsigned>((local - day).count());
  return matches_date(day) && has(hours_, minute_of_day / 60) && has(minutes_, minute_of_day % 60);
}

bool CronExpression::matches_at(Timestamp utc, const std::string& tz_name) const {
  const date::time_zone* zone = find_zone(tz_name);
  if (reboot_) return true;
  return matches(date::floor<std::chrono::minutes>(zone->to_local(utc)));
}

std::optional<date::local_time<std::chrono::minutes>> CronExpression::next_local_match(LocalMinutes from,
                                                                                      LocalMinutes until) const {
  date::local_days day = date::floor<date::days>(from);
  auto start = static_cast<unsigned>((from - day).count());  // minute of the first day
  for (; day < until; day += date::days{1}, start = 0) {
    if (!matches_date(day)) continue;
    for (unsigned hour = start / 60; hour < 24; ++hour) {
      if (!has(hours_, hour)) continue;
      const unsigned first_minute = hour == start / 60 ? start % 60 : 0;
      const std::uint64_t candidates = minutes_ & (~std::uint64_t{0} << first_minute);
      if (candidates == 0) continue;
      const LocalMinutes found =
          day + std::chrono::hours{hour} + std::chrono::minutes{std::countr_zero(candidates)};
      if (found >= until) return std::nullopt;
      return found;
    }
  }
  return std::nullopt;
}

std::optional<Timestamp> CronExpression::next_after(Timestamp utc, const std::string& tz_name) const {
  const date::time_zone* zone = find_zone(tz_name);
  if (reboot_) return std::nullopt;

  // Walk the zone's intervals of constant offset. Inside one, local minutes map to UTC
  // minutes one to one and in order, so the first matching local minute is the answer
  // for that interval. Local times inside a DST gap belong to no interval (never fire);
  // local times of a repeated hour belong to two (fire twice).
  SysMinutes t = date::floor<std::chrono::minutes>(utc) + std::chrono::minutes{1};
  const SysMinutes horizon_end = t + kSearchHorizon;
  while (t < horizon_end) {
    const date::sys_info info = zone->get_info(t);
    const date::sys_seconds interval_end = std::min<date::sys_seconds>(info.end, horizon_end);
    // Offsets may carry seconds (old LMT zones); the plugin sees floor(UTC + offset), and
    // the UTC minute whose local minute is L is ceil(L - offset).
    const auto to_local = [&info](date::sys_seconds s) {
      return date::local_seconds{s.time_since_epoch() + info.offset};
    };
    const LocalMinutes from = date::floor<std::chrono::minutes>(to_local(t));
    const LocalMinutes until = date::ceil<std::chrono::minutes>(to_local(interval_end)) + std::chrono::minutes{1};
    if (const auto local = next_local_match(from, until)) {
      const SysMinutes fires =
          date::ceil<std::chrono::minutes>(date::sys_seconds{local->time_since_epoch() - info.offset});
      if (fires < interval_end) return Timestamp{fires};
    }
    t = date::ceil<std::chrono::minutes>(info.end);
  }
  return std::nullopt;
}

}  // namespace oban
