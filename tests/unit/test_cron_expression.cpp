// Oban 2.23.1 crontab syntax and firing rules (docs/oban-protocol.md section 8).
#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <date/date.h>

#include "oban/core/cron_expression.hpp"
#include "oban/core/timestamp.hpp"

using oban::CronExpression;
using oban::Timestamp;

namespace {

using LocalMinutes = date::local_time<std::chrono::minutes>;

LocalMinutes local(int y, unsigned mo, unsigned d, int h, int mi) {
  return date::local_days{date::year{y} / mo / d} + std::chrono::hours{h} + std::chrono::minutes{mi};
}

Timestamp utc(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return Timestamp{date::sys_days{date::year{y} / mo / d} + std::chrono::hours{h} + std::chrono::minutes{mi} +
                   std::chrono::seconds{s}};
}

// Which values of one field an expression allows, probed through matches() with every
// other field fixed at a value the probe expression allows.
std::vector<int> minutes_of(const std::string& field) {
  const auto cron = CronExpression::parse(field + " * * * *");
  std::vector<int> out;
  for (int m = 0; m < 60; ++m) {
    if (cron.matches(local(2025, 1, 1, 0, m))) out.push_back(m);
  }
  return out;
}

std::vector<int> hours_of(const std::string& field) {
  const auto cron = CronExpression::parse("0 " + field + " * * *");
  std::vector<int> out;
  for (int h = 0; h < 24; ++h) {
    if (cron.matches(local(2025, 1, 1, h, 0))) out.push_back(h);
  }
  return out;
}

std::vector<int> days_of(const std::string& field) {
  const auto cron = CronExpression::parse("0 0 " + field + " * *");
  std::vector<int> out;
  for (unsigned d = 1; d <= 31; ++d) {
    if (cron.matches(local(2025, 1, d, 0, 0))) out.push_back(static_cast<int>(d));
  }
  return out;
}

std::vector<int> months_of(const std::string& field) {
  const auto cron = CronExpression::parse("0 0 1 " + field + " *");
  std::vector<int> out;
  for (unsigned mo = 1; mo <= 12; ++mo) {
    if (cron.matches(local(2025, mo, 1, 0, 0))) out.push_back(static_cast<int>(mo));
  }
  return out;
}

// 2026-01-04 is a Sunday, so day 4 + n is weekday n.
std::vector<int> weekdays_of(const std::string& field) {
  const auto cron = CronExpression::parse("0 0 * * " + field);
  std::vector<int> out;
  for (unsigned n = 0; n < 7; ++n) {
    if (cron.matches(local(2026, 1, 4 + n, 0, 0))) out.push_back(static_cast<int>(n));
  }
  return out;
}

using V = std::vector<int>;

}  // namespace

TEST_CASE("cron: wildcard, literals, steps and ranges", "[cron]") {
  CHECK(minutes_of("*").size() == 60);
  CHECK(minutes_of("5") == V{5});
  CHECK(minutes_of("05") == V{5});
  CHECK(minutes_of("*/15") == V{0, 15, 30, 45});
  CHECK(minutes_of("*/99") == V{0});
  CHECK(minutes_of("*/1").size() == 60);
  CHECK(hours_of("*/7") == V{0, 7, 14, 21});
  CHECK(days_of("*/10") == V{1, 11, 21, 31});  // steps start at the field minimum
  CHECK(minutes_of("10-15") == V{10, 11, 12, 13, 14, 15});
  CHECK(minutes_of("7-7") == V{7});
  CHECK(minutes_of("10-20/5") == V{10, 15, 20});
  CHECK(minutes_of("10-21/5") == V{10, 15, 20});
  CHECK(minutes_of("50/3") == V{50, 53, 56, 59});  // A/S runs to the field maximum
  CHECK(days_of("25/3") == V{25, 28, 31});
  CHECK(hours_of("22/1") == V{22, 23});
  CHECK(weekdays_of("1-5") == V{1, 2, 3, 4, 5});
  CHECK(months_of("*/4") == V{1, 5, 9});
}

TEST_CASE("cron: comma lists", "[cron]") {
  CHECK(minutes_of("1,2,3") == V{1, 2, 3});
  CHECK(minutes_of("40-42,*/30,5") == V{0, 5, 30, 40, 41, 42});
  CHECK(minutes_of("3,3") == V{3});
  // Spaces around commas: fields are split on whitespace first (at most five parts), so
  // only the last field can carry them.
  CHECK(weekdays_of("1 , 3 ,5") == V{1, 3, 5});
  CHECK(weekdays_of("1,\t3") == V{1, 3});
  CHECK_THROWS_WITH(CronExpression::parse("1 , 2 * * * *"), "unrecognized cron expression: ");
}

TEST_CASE("cron: whitespace between fields", "[cron]") {
  const auto cron = CronExpression::parse("  0   12\t*\n*  1");
  CHECK(cron.matches(local(2026, 1, 5, 12, 0)));   // Monday
  CHECK_FALSE(cron.matches(local(2026, 1, 6, 12, 0)));
  CHECK(cron.text() == "  0   12\t*\n*  1");
  // The fifth part is the unsplit rest, so trailing whitespace or a sixth field stays in
  // the weekday field and is rejected there.
  CHECK_THROWS_WITH(CronExpression::parse("0 12 * * 1 "), "unrecognized cron expression: 1 ");
  CHECK_THROWS_WITH(CronExpression::parse("* * * * * *"), "unrecognized cron expression: * *");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 1 1 * 2026"), "unrecognized cron expression: * 2026");
}

TEST_CASE("cron: wrong number of fields", "[cron]") {
  CHECK_THROWS_WITH(CronExpression::parse("* * * *"), "incorrect number of fields in expression: * * * *");
  CHECK_THROWS_WITH(CronExpression::parse("* * * *   "), "incorrect number of fields in expression: * * * *   ");
  CHECK_THROWS_WITH(CronExpression::parse(""), "incorrect number of fields in expression: ");
  CHECK_THROWS_WITH(CronExpression::parse("   "), "incorrect number of fields in expression:    ");
  CHECK_THROWS_AS(CronExpression::parse("*"), std::invalid_argument);
}

TEST_CASE("cron: upper-case month and weekday names", "[cron]") {
  CHECK(months_of("JAN") == V{1});
  CHECK(months_of("DEC") == V{12});
  CHECK(months_of("JAN-MAR") == V{1, 2, 3});
  CHECK(months_of("FEB,AUG,NOV") == V{2, 8, 11});
  CHECK(months_of("APR,MAY,JUN,JUL,SEP,OCT") == V{4, 5, 6, 7, 9, 10});
  CHECK(weekdays_of("SUN") == V{0});
  CHECK(weekdays_of("MON-FRI") == V{1, 2, 3, 4, 5});
  CHECK(weekdays_of("SAT,SUN") == V{0, 6});
  CHECK(weekdays_of("TUE,WED,THU") == V{2, 3, 4});
  CHECK(weekdays_of("MON-5") == V{1, 2, 3, 4, 5});  // textual replacement mixes with numbers
}

TEST_CASE("cron: names are case-sensitive and field-specific", "[cron]") {
  CHECK_THROWS_WITH(CronExpression::parse("0 0 * * mon"), "unrecognized cron expression: mon");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 * * Mon"), "unrecognized cron expression: Mon");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 * jan *"), "unrecognized cron expression: jan");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 * * JAN"), "unrecognized cron expression: JAN");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 * MON *"), "unrecognized cron expression: MON");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 MON * *"), "unrecognized cron expression: MON");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 * * MONDAY"), "unrecognized cron expression: 1DAY");
}

TEST_CASE("cron: weekday is 0-6 and 7 is rejected", "[cron]") {
  CHECK(weekdays_of("0") == V{0});
  CHECK(weekdays_of("6") == V{6});
  CHECK_THROWS_WITH(CronExpression::parse("0 0 * * 7"), "expression field 7 is out of range: 0..6");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 * * 0-7"), "expression field 0-7 is out of range: 0..6");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 * * 1,7"), "expression field 1,7 is out of range: 0..6");
}

TEST_CASE("cron: bounds are checked per field", "[cron]") {
  CHECK_THROWS_WITH(CronExpression::parse("60 * * * *"), "expression field 60 is out of range: 0..59");
  CHECK_THROWS_WITH(CronExpression::parse("* 24 * * *"), "expression field 24 is out of range: 0..23");
  CHECK_THROWS_WITH(CronExpression::parse("* * 0 * *"), "expression field 0 is out of range: 1..31");
  CHECK_THROWS_WITH(CronExpression::parse("* * 32 * *"), "expression field 32 is out of range: 1..31");
  CHECK_THROWS_WITH(CronExpression::parse("* * * 0 *"), "expression field 0 is out of range: 1..12");
  CHECK_THROWS_WITH(CronExpression::parse("* * * 13 *"), "expression field 13 is out of range: 1..12");
  // Literals are checked after the whole list is read; the message names the field.
  CHECK_THROWS_WITH(CronExpression::parse("5,60 * * * *"), "expression field 5,60 is out of range: 0..59");
  CHECK_THROWS_WITH(CronExpression::parse("99999999999999999999 * * * *"),
                    "expression field 99999999999999999999 is out of range: 0..59");
  // Ranges are checked before expansion; the message names the range.
  CHECK_THROWS_WITH(CronExpression::parse("0-60/5 * * * *"), "expression field 0-60 is out of range: 0..59");
  CHECK_THROWS_WITH(CronExpression::parse("* * 0-5 * *"), "expression field 0-5 is out of range: 1..31");
  CHECK_THROWS_WITH(CronExpression::parse("1,58-60 * * * *"), "expression field 58-60 is out of range: 0..59");
  CHECK_THROWS_WITH(CronExpression::parse("* * * DEC-13 *"), "expression field 12-13 is out of range: 1..12");
}

TEST_CASE("cron: a range's start may not exceed its end", "[cron]") {
  CHECK_THROWS_WITH(CronExpression::parse("30-10 * * * *"),
                    "min (30) of range must be less than or equal to the max (10)");
  CHECK_THROWS_WITH(CronExpression::parse("30-10/5 * * * *"),
                    "min (30) of range must be less than or equal to the max (10)");
  // A/S runs to the maximum, so a start past it is an inverted range.
  CHECK_THROWS_WITH(CronExpression::parse("70/5 * * * *"),
                    "min (70) of range must be less than or equal to the max (59)");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 * * FRI-MON"),
                    "min (5) of range must be less than or equal to the max (1)");
  CHECK_THROWS_WITH(CronExpression::parse("0050-0010 * * * *"),
                    "min (50) of range must be less than or equal to the max (10)");
}

TEST_CASE("cron: unrecognized parts", "[cron]") {
  for (const char* part : {"*/0", "*/100", "*/05", "1-10/0", "5/100", "*/", "1-", "-1", "a", "1.5", "L", "?",
                           "1-2-3", "*/5/2", "**", "1/2/3", "#1", "+1"}) {
    INFO(part);
    CHECK_THROWS_WITH(CronExpression::parse(std::string(part) + " * * * *"),
                      std::string("unrecognized cron expression: ") + part);
  }
  CHECK_THROWS_WITH(CronExpression::parse("1,,2 * * * *"), "unrecognized cron expression: ");
  CHECK_THROWS_WITH(CronExpression::parse(",1 * * * *"), "unrecognized cron expression: ");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 * * 1,"), "unrecognized cron expression: ");
  // The first bad part wins over a later out-of-range literal.
  CHECK_THROWS_WITH(CronExpression::parse("99,x * * * *"), "unrecognized cron expression: x");
}

TEST_CASE("cron: fields are checked in Oban's order", "[cron]") {
  // day, month, day/month combination, minute, hour, weekday
  CHECK_THROWS_WITH(CronExpression::parse("60 24 32 13 7"), "expression field 32 is out of range: 1..31");
  CHECK_THROWS_WITH(CronExpression::parse("60 24 1 13 7"), "expression field 13 is out of range: 1..12");
  CHECK_THROWS_WITH(CronExpression::parse("60 24 30 2 7"), "no day in \"30\" can occur in months \"2\"");
  CHECK_THROWS_WITH(CronExpression::parse("60 24 1 2 7"), "expression field 60 is out of range: 0..59");
  CHECK_THROWS_WITH(CronExpression::parse("0 24 1 2 7"), "expression field 24 is out of range: 0..23");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 1 2 7"), "expression field 7 is out of range: 0..6");
}

TEST_CASE("cron: day and month combinations that never occur", "[cron]") {
  CHECK_THROWS_WITH(CronExpression::parse("0 0 30 2 *"), "no day in \"30\" can occur in months \"2\"");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 31 2 *"), "no day in \"31\" can occur in months \"2\"");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 30,31 FEB *"), "no day in \"30,31\" can occur in months \"FEB\"");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 31 4 *"), "no day in \"31\" can occur in months \"4\"");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 31 4,6,9,11 *"),
                    "no day in \"31\" can occur in months \"4,6,9,11\"");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 31 APR-APR *"), "no day in \"31\" can occur in months \"APR-APR\"");
  CHECK_THROWS_WITH(CronExpression::parse("0 0 30-31 2 *"), "no day in \"30-31\" can occur in months \"2\"");
  // Possible, if rarely: 29 February, or one month of several that has the day.
  CHECK_NOTHROW(CronExpression::parse("0 0 29 2 *"));
  CHECK_NOTHROW(CronExpression::parse("0 0 29-31 2 *"));
  CHECK_NOTHROW(CronExpression::parse("0 0 31 4,5 *"));
  CHECK_NOTHROW(CronExpression::parse("0 0 30 4 *"));
  CHECK_NOTHROW(CronExpression::parse("0 0 31 */2 *"));
  CHECK_NOTHROW(CronExpression::parse("0 0 31 * *"));
  CHECK_NOTHROW(CronExpression::parse("0 0 * 2 *"));
}

TEST_CASE("cron: nicknames", "[cron]") {
  const auto yearly = CronExpression::parse("@yearly");
  CHECK(yearly.text() == "@yearly");
  CHECK_FALSE(yearly.is_reboot());
  CHECK(yearly.matches(local(2026, 1, 1, 0, 0)));
  CHECK_FALSE(yearly.matches(local(2026, 1, 1, 0, 1)));
  CHECK_FALSE(yearly.matches(local(2026, 2, 1, 0, 0)));
  const auto annually = CronExpression::parse("@annually");
  CHECK(annually.text() == "@annually");
  CHECK(annually.matches(local(2027, 1, 1, 0, 0)));
  CHECK_FALSE(annually.matches(local(2027, 1, 2, 0, 0)));

  const auto monthly = CronExpression::parse("@monthly");
  CHECK(monthly.matches(local(2026, 7, 1, 0, 0)));
  CHECK_FALSE(monthly.matches(local(2026, 7, 2, 0, 0)));
  CHECK_FALSE(monthly.matches(local(2026, 7, 1, 1, 0)));

  const auto weekly = CronExpression::parse("@weekly");
  CHECK(weekly.matches(local(2026, 1, 4, 0, 0)));        // Sunday
  CHECK_FALSE(weekly.matches(local(2026, 1, 5, 0, 0)));  // Monday

  for (const char* daily : {"@daily", "@midnight"}) {
    const auto cron = CronExpression::parse(daily);
    CHECK(cron.text() == daily);
    CHECK(cron.matches(local(2026, 3, 17, 0, 0)));
    CHECK_FALSE(cron.matches(local(2026, 3, 17, 12, 0)));
    CHECK_FALSE(cron.matches(local(2026, 3, 17, 0, 30)));
  }

  const auto hourly = CronExpression::parse("@hourly");
  CHECK(hourly.matches(local(2026, 3, 17, 13, 0)));
  CHECK_FALSE(hourly.matches(local(2026, 3, 17, 13, 1)));

  const auto reboot = CronExpression::parse("@reboot");
  CHECK(reboot.is_reboot());
  CHECK(reboot.text() == "@reboot");
  CHECK(reboot.matches(local(2026, 3, 17, 13, 1)));  // as Expression.now?/2
  CHECK(reboot.matches_at(utc(2026, 3, 17, 13, 1), "Etc/UTC"));
  CHECK_FALSE(reboot.next_after(utc(2026, 3, 17, 13, 1), "Etc/UTC").has_value());
}

TEST_CASE("cron: only the exact nickname spellings", "[cron]") {
  CHECK_THROWS_WITH(CronExpression::parse("@DAILY"), "incorrect number of fields in expression: @DAILY");
  CHECK_THROWS_WITH(CronExpression::parse("@daily "), "incorrect number of fields in expression: @daily ");
  CHECK_THROWS_WITH(CronExpression::parse(" @hourly"), "incorrect number of fields in expression:  @hourly");
  CHECK_THROWS_WITH(CronExpression::parse("@every 5m"), "incorrect number of fields in expression: @every 5m");
  CHECK_THROWS_WITH(CronExpression::parse("@reboot now"), "incorrect number of fields in expression: @reboot now");
}

TEST_CASE("cron: fields are AND-ed, unlike Vixie cron", "[cron]") {
  const auto friday13 = CronExpression::parse("0 0 13 * FRI");
  CHECK(friday13.matches(local(2026, 2, 13, 0, 0)));        // Friday the 13th
  CHECK_FALSE(friday13.matches(local(2026, 1, 13, 0, 0)));  // a Tuesday
  CHECK_FALSE(friday13.matches(local(2026, 1, 16, 0, 0)));  // a Friday, the 16th
  CHECK(friday13.next_after(utc(2026, 3, 14, 0, 0), "Etc/UTC") == utc(2026, 11, 13, 0, 0));
  CHECK(friday13.next_after(utc(2026, 11, 13, 0, 0), "Etc/UTC") == utc(2027, 8, 13, 0, 0));

  const auto cron = CronExpression::parse("15 10 * 6 1");
  CHECK(cron.matches(local(2026, 6, 1, 10, 15)));         // Monday in June
  CHECK_FALSE(cron.matches(local(2026, 6, 1, 10, 16)));   // minute differs
  CHECK_FALSE(cron.matches(local(2026, 6, 1, 11, 15)));   // hour differs
  CHECK_FALSE(cron.matches(local(2026, 6, 2, 10, 15)));   // weekday differs
  CHECK_FALSE(cron.matches(local(2027, 7, 5, 10, 15)));   // Monday, wrong month
}

TEST_CASE("cron: next_after in UTC", "[cron]") {
  // Oban's own doc example for next_at/2.
  CHECK(CronExpression::parse("0 1 * * *").next_after(utc(2025, 1, 1, 0, 0), "Etc/UTC") == utc(2025, 1, 1, 1, 0));

  const auto quarter = CronExpression::parse("*/15 * * * *");
  CHECK(quarter.next_after(utc(2026, 5, 1, 10, 7, 30), "Etc/UTC") == utc(2026, 5, 1, 10, 15));
  // Strictly after: a time on a matching boundary moves on.
  CHECK(quarter.next_after(utc(2026, 5, 1, 10, 15), "Etc/UTC") == utc(2026, 5, 1, 10, 30));
  CHECK(quarter.next_after(utc(2026, 5, 1, 10, 14, 59) + std::chrono::microseconds{999999}, "Etc/UTC") ==
        utc(2026, 5, 1, 10, 15));
  CHECK(quarter.next_after(utc(2026, 12, 31, 23, 50), "Etc/UTC") == utc(2027, 1, 1, 0, 0));

  const auto every_minute = CronExpression::parse("* * * * *");
  CHECK(every_minute.next_after(utc(2026, 5, 1, 10, 7, 1), "Etc/UTC") == utc(2026, 5, 1, 10, 8));
  CHECK(every_minute.next_after(utc(2026, 5, 1, 10, 7), "UTC") == utc(2026, 5, 1, 10, 8));

  CHECK(CronExpression::parse("@yearly").next_after(utc(2026, 6, 1, 0, 0), "Etc/UTC") == utc(2027, 1, 1, 0, 0));
  CHECK(CronExpression::parse("0 0 29 2 *").next_after(utc(2026, 3, 1, 0, 0), "Etc/UTC") ==
        utc(2028, 2, 29, 0, 0));
  // 29 February on a Monday: 18 years out, well inside the search horizon.
  CHECK(CronExpression::parse("0 0 29 2 MON").next_after(utc(2026, 3, 1, 0, 0), "Etc/UTC") ==
        utc(2044, 2, 29, 0, 0));
  CHECK(CronExpression::parse("59 23 31 12 *").next_after(utc(2026, 1, 1, 0, 0), "Etc/UTC") ==
        utc(2026, 12, 31, 23, 59));
}

TEST_CASE("cron: matches_at reads the wall clock of the zone", "[cron]") {
  const auto nine = CronExpression::parse("0 9 * * *");
  CHECK(nine.matches_at(utc(2026, 1, 10, 9, 0), "Etc/UTC"));
  CHECK(nine.matches_at(utc(2026, 1, 10, 9, 0, 59), "Etc/UTC"));  // anywhere in the minute
  CHECK_FALSE(nine.matches_at(utc(2026, 1, 10, 9, 1), "Etc/UTC"));
  CHECK(nine.matches_at(utc(2026, 1, 10, 14, 0), "America/New_York"));  // EST, UTC-5
  CHECK(nine.matches_at(utc(2026, 7, 10, 13, 0), "America/New_York"));  // EDT, UTC-4
  CHECK_FALSE(nine.matches_at(utc(2026, 7, 10, 14, 0), "America/New_York"));
  CHECK(nine.matches_at(utc(2026, 1, 10, 3, 30), "Asia/Kolkata"));  // UTC+5:30
  // The local date decides the weekday: 23:30 Sunday in New York is Monday in UTC.
  const auto sunday = CronExpression::parse("30 23 * * SUN");
  CHECK(sunday.matches_at(utc(2026, 1, 5, 4, 30), "America/New_York"));
  CHECK_FALSE(sunday.matches_at(utc(2026, 1, 5, 4, 30), "Etc/UTC"));
}

TEST_CASE("cron: next_after in a zone with a fixed non-hour offset", "[cron]") {
  CHECK(CronExpression::parse("0 9 * * *").next_after(utc(2026, 1, 1, 0, 0), "Asia/Kolkata") ==
        utc(2026, 1, 1, 3, 30));
  CHECK(CronExpression::parse("0 9 * * *").next_after(utc(2026, 1, 1, 3, 30), "Asia/Kolkata") ==
        utc(2026, 1, 2, 3, 30));
}

TEST_CASE("cron: next_after skips a local time that DST removes", "[cron][dst]") {
  // America/New_York springs forward on 2026-03-08: 02:00 EST becomes 03:00 EDT.
  const auto half_past_two = CronExpression::parse("30 2 * * *");
  CHECK(half_past_two.next_after(utc(2026, 3, 7, 0, 0), "America/New_York") == utc(2026, 3, 7, 7, 30));
  CHECK(half_past_two.next_after(utc(2026, 3, 7, 7, 30), "America/New_York") == utc(2026, 3, 9, 6, 30));
  for (int minute = 0; minute < 60 * 24; ++minute) {
    const Timestamp t = utc(2026, 3, 8, 0, 0) + std::chrono::minutes{minute};
    INFO(date::format("%FT%TZ", t));
    CHECK_FALSE(half_past_two.matches_at(t, "America/New_York"));
  }
  // Hourly: 01:00 EST (06:00Z), then 03:00 EDT (07:00Z).
  const auto hourly = CronExpression::parse("0 * * * *");
  CHECK(hourly.next_after(utc(2026, 3, 8, 6, 0), "America/New_York") == utc(2026, 3, 8, 7, 0));
  CHECK(hourly.next_after(utc(2026, 3, 8, 7, 0), "America/New_York") == utc(2026, 3, 8, 8, 0));
  CHECK(CronExpression::parse("0 3 * * *").next_after(utc(2026, 3, 8, 0, 0), "America/New_York") ==
        utc(2026, 3, 8, 7, 0));
}

TEST_CASE("cron: next_after fires twice in a repeated local hour", "[cron][dst]") {
  // America/New_York falls back on 2026-11-01: 02:00 EDT becomes 01:00 EST, so 01:30
  // happens at 05:30Z (EDT) and again at 06:30Z (EST).
  const auto half_past_one = CronExpression::parse("30 1 * * *");
  CHECK(half_past_one.next_after(utc(2026, 11, 1, 0, 0), "America/New_York") == utc(2026, 11, 1, 5, 30));
  CHECK(half_past_one.next_after(utc(2026, 11, 1, 5, 30), "America/New_York") == utc(2026, 11, 1, 6, 30));
  CHECK(half_past_one.next_after(utc(2026, 11, 1, 6, 30), "America/New_York") == utc(2026, 11, 2, 6, 30));
  CHECK(half_past_one.matches_at(utc(2026, 11, 1, 5, 30), "America/New_York"));
  CHECK(half_past_one.matches_at(utc(2026, 11, 1, 6, 30), "America/New_York"));
  int fired = 0;
  for (int minute = 0; minute < 60 * 24; ++minute) {
    if (half_past_one.matches_at(utc(2026, 11, 1, 0, 0) + std::chrono::minutes{minute}, "America/New_York")) ++fired;
  }
  CHECK(fired == 2);
  // 02:00 local exists only once that day, as EST (07:00Z); 06:00Z is 01:00 EST.
  CHECK(CronExpression::parse("0 2 * * *").next_after(utc(2026, 11, 1, 0, 0), "America/New_York") ==
        utc(2026, 11, 1, 7, 0));
}

TEST_CASE("cron: next_after agrees with a minute-by-minute scan", "[cron][dst]") {
  // The plugin's view is one matches_at per UTC minute; next_after must find the same
  // minutes across both 2026 DST changes in New York.
  for (const char* text : {"30 1 * * *", "30 2 * * *", "0 2 * * *", "0 3 * * *", "*/20 1-3 * * *", "0 0 * * SUN", "59 23 * * *"}) {
    INFO(text);
    const auto cron = CronExpression::parse(text);
    for (const Timestamp start : {utc(2026, 3, 6, 0, 0), utc(2026, 10, 30, 0, 0)}) {
      std::vector<Timestamp> scanned;
      for (int minute = 1; minute <= 60 * 24 * 4; ++minute) {
        const Timestamp t = start + std::chrono::minutes{minute};
        if (cron.matches_at(t, "America/New_York")) scanned.push_back(t);
      }
      std::vector<Timestamp> stepped;
      for (auto next = cron.next_after(start, "America/New_York");
           next && *next <= start + std::chrono::minutes{60 * 24 * 4}; next = cron.next_after(*next, "America/New_York")) {
        stepped.push_back(*next);
      }
      CHECK(stepped == scanned);
      CHECK_FALSE(scanned.empty());
    }
  }
}

TEST_CASE("cron: unknown time zones are rejected", "[cron]") {
  const auto cron = CronExpression::parse("* * * * *");
  CHECK_THROWS_AS(cron.next_after(utc(2026, 1, 1, 0, 0), "Mars/Olympus_Mons"), std::invalid_argument);
  CHECK_THROWS_AS(cron.matches_at(utc(2026, 1, 1, 0, 0), "Mars/Olympus_Mons"), std::invalid_argument);
  CHECK_THROWS_AS(cron.matches_at(utc(2026, 1, 1, 0, 0), ""), std::invalid_argument);
  CHECK_THROWS_AS(CronExpression::parse("@reboot").matches_at(utc(2026, 1, 1, 0, 0), "Nowhere"),
                  std::invalid_argument);
}
