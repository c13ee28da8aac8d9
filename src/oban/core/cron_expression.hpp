#pragma once
// A parsed crontab expression with the syntax and semantics of Oban 2.23.1's
// Oban.Cron.Expression (docs/oban-protocol.md section 8), so a crontab accepted or
// rejected by an Elixir node is accepted or rejected here too, and fires on the same
// minutes.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <date/date.h>

#include "oban/core/timestamp.hpp"

namespace oban {

class CronExpression {
 public:
  // Throws std::invalid_argument with Oban's message for anything Oban rejects.
  static CronExpression parse(std::string_view input);

  // The expression exactly as given, nicknames included ("@daily"): what Oban stores in
  // a cron job's meta "cron_expr".
  const std::string& text() const { return text_; }
  bool is_reboot() const { return reboot_; }

  // True when the local wall-clock minute matches every field (AND over all five, unlike
  // Vixie cron). Always true for @reboot, as Oban's Expression.now?/2: the plugin decides
  // when a reboot entry runs.
  bool matches(const date::local_time<std::chrono::minutes>& local) const;

  // Whether the expression matches the minute containing `utc`, read in zone `tz_name`
  // (an IANA name such as "Etc/UTC"). Throws std::invalid_argument for an unknown zone.
  bool matches_at(Timestamp utc, const std::string& tz_name) const;

  // The first UTC minute boundary strictly after `utc` whose local minute in `tz_name`
  // matches. Follows real minutes, as the plugin's once-a-minute evaluation does: a local
  // time skipped by DST never fires and a repeated one fires twice. nullopt for @reboot
  // or when nothing matches within kSearchHorizon. Throws std::invalid_argument for an
  // unknown zone.
  std::optional<Timestamp> next_after(Timestamp utc, const std::string& tz_name) const;

  // Long enough for every expression Oban accepts to match at least once (29 February on
  // a given weekday can be ~40 years apart around 2100), and still cheap to scan.
  static constexpr std::chrono::hours kSearchHorizon{24 * 366 * 50};

 private:
  CronExpression() = default;

  // The first matching local minute in [from, until), or nullopt.
  std::optional<date::local_time<std::chrono::minutes>> next_local_match(
      date::local_time<std::chrono::minutes> from, date::local_time<std::chrono::minutes> until) const;
  bool matches_date(date::local_days day) const;

  std::string text_;
  bool reboot_ = false;
  // Bit n is set when value n is allowed.
  std::uint64_t minutes_ = 0;   // 0..59
  std::uint32_t hours_ = 0;     // 0..23
  std::uint32_t days_ = 0;      // 1..31
  std::uint32_t months_ = 0;    // 1..12
  std::uint32_t weekdays_ = 0;  // 0..6, 0 = Sunday
};

}  // namespace oban
