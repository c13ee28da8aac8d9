#pragma once
// Oban's Cron plugin: at each minute boundary, on the leader only, inserts every crontab
// entry that matches the minute, with Oban's meta (cron, cron_expr, cron_name, cron_tz).
// Beyond Oban: before inserting it skips an entry that any node (C++ or Elixir) already
// inserted for the same minute, so an Elixir crontab still listing the entry does not
// cause a second run from this side.
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
  // Throws std::invalid_argument listing every bad entry (expression, args, time zone).
  Cron(db::ConnectionPool& pool, Inserter& inserter, const WorkerRegistry& workers, std::vector<CronEntry> crontab,
       std::string time_zone, const Clock& clock, std::function<bool()> is_leader);

  // Evaluates the current minute of the clock; does nothing unless leader. Thread-safe.
  // Beyond Oban, the node also calls it when it gains leadership, so a minute whose
  // boundary passed while no node led is still inserted (the same-minute skip keeps it once).
  CronTick run_once();

  std::string name() const override { return "Oban.Plugins.Cron"; }
  PluginReport run() override;  // {"jobs": [workers inserted], "skipped": [workers]}
  // Until just after the clock's next minute boundary.
  std::chrono::milliseconds next_delay() const override;
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
  std::mutex run_mutex_;        // one run_once at a time (timer thread, leadership gained)
  std::vector<Entry> entries_;  // guarded by run_mutex_ once started
};

}  // namespace oban::plugins
