#pragma once
// One crontab entry, as an Elixir crontab lists it: {expr, worker, opts}.
#include <optional>
#include <string>

namespace oban::plugins {

struct CronEntry {
  std::string expression{};               // Oban cron syntax, e.g. "* * * * *" or "@daily"
  std::string worker{};                   // Oban worker name
  std::string args = "{}";                // JSON object for the job's args ("{}" = none given)
  std::optional<std::string> queue{};     // overrides the worker's queue (an atom in Elixir's crontab)
  std::optional<int> max_attempts{};      // overrides the worker's max_attempts

  // "EXPR WORKER [JSON_ARGS]", e.g. "*/5 * * * * MyApp.Worker {\"id\":1}" or "@daily MyApp.Worker".
  // Throws std::invalid_argument.
  static CronEntry parse(const std::string& text);
};

}  // namespace oban::plugins
