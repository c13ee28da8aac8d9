#pragma once
// Oban's Cron plugin: once a minute, on the leader only, inserts every crontab entry that
// matches the minute, with Oban's meta (cron, cron_expr, cron_name, cron_tz).
//
// Beyond Oban, so that an entry listed in an Elixir crontab too runs once a minute:
// - it evaluates a minute only `delay` after its boundary (default kDefaultDelay). Elixir's
//   Cron inserts without checking anything, at the boundary plus the sub-second part of the
//   time its node started (Oban.Cron.interval_to_next_minute keeps the microseconds), so
//   within the first second of the minute, plus its insert's own latency;
// - it then skips an entry that any node (C++ or Elixir) already inserted for that minute.
// Waiting lets Elixir's insert land first; the check then finds it.
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "oban/core/clock.hpp"
#include "oban/core/cron_expression.hpp"
#include "oban/core/new_job.hpp"
#include "oban/db/connection.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/plugins/cron_entry.hpp"
#include "oban/plugins/plugin.hpp"
#include "oban/worker.hpp"

namespace oban::plugins {

struct CronTick {
  std::vector<std::string> inserted;  // workers inserted this minute
  std::vector<std::string> skipped;   // workers already inserted for this minute by some node
};

class Cron final : public Plugin {
 public:
  // 5 s: Elixir's insert comes within about the first second of the minute (see above);
  // 4 s more cover a busy BEAM or a slow database. A job starts 5 s later than Elixir's
  // would, which a once-a-minute schedule does not notice.
  static constexpr std::chrono::milliseconds kDefaultDelay{5000};

  // Throws std::invalid_argument listing every bad entry (expression, args, time zone) and
  // a delay outside [0 s, 60 s).
  Cron(db::ConnectionPool& pool, Inserter& inserter, const WorkerRegistry& workers, std::vector<CronEntry> crontab,
       std::string time_zone, const Clock& clock, std::function<bool()> is_leader,
       std::chrono::milliseconds delay = kDefaultDelay);

  // Evaluates the clock's current minute, once its boundary is `delay` past; does nothing
  // unless leader, or before that. Thread-safe. Beyond Oban, the node also calls it when it
  // gains leadership, so a minute whose evaluation time passed while no node led is still
  // inserted (the same-minute skip keeps it once); gained earlier in the minute, the
  // evaluation waits for the delay like any other.
  CronTick run_once();

  std::string name() const override { return "Oban.Plugins.Cron"; }
  PluginReport run() override;  // {"jobs": [workers inserted], "skipped": [workers]}
  // Until just after the next evaluation time: this minute's boundary + delay if still
  // ahead, else the next minute's.
  std::chrono::milliseconds next_delay() const override;
  std::chrono::milliseconds delay() const { return delay_; }
  // run_once() asks leadership itself: @reboot entries fire on the first evaluation as leader.
  bool leader_only() const override { return false; }

  // The cron_name Oban computes for an entry: phash2({expr, worker, opts_map}).
  static std::string cron_name_of(const CronEntry& entry);

 private:
  struct Entry {
    CronEntry config;
    CronExpression expression;
    std::string name;       // cron_name
    NewJob job;             // the job to insert, meta included
    bool rebooted = false;  // @reboot fires once per node
  };

  db::ConnectionPool& pool_;
  Inserter& inserter_;
  std::string timezone_;
  const Clock& clock_;
  std::function<bool()> is_leader_;
  const std::chrono::milliseconds delay_;
  std::mutex run_mutex_;        // one run_once at a time (timer thread, leadership gained)
  std::vector<Entry> entries_;  // guarded by run_mutex_ once started
};

}  // namespace oban::plugins
