#include "oban/plugins/cron.hpp"

#include <date/tz.h>

#include "oban/core/phash2.hpp"
#include "oban/db/cron_store.hpp"
#include "oban/db/job_row.hpp"
#include "oban/json/erlang_term_from_json.hpp"
#include "oban/json/json_object.hpp"
#include "oban/json/json_writer.hpp"

namespace oban::plugins {
namespace {

// Cron inserts serialize per entry among C++ leaders (two-int4 advisory lock form, a key
// space Elixir's single-bigint unique locks never use), so a check-then-insert cannot race
// during a leader hand-over.
constexpr int kCronLockNamespace = 0x0BA5;

NewJob job_for(const CronEntry& entry, const WorkerRegistry& workers) {
  NewJob job;
  if (workers.find(entry.worker)) {
    job = workers.new_job(entry.worker, entry.args);
  } else {
    job.worker = entry.worker;
    job.args = entry.args;
  }
  if (entry.queue) job.queue = *entry.queue;
  if (entry.max_attempts) job.max_attempts = *entry.max_attempts;
  return job;
}

}  // namespace

std::string Cron::cron_name_of(const CronEntry& entry) {
  // The entry's options as Elixir builds them: a map with string keys; args' top-level
  // keys stringified; queue given as an atom, as Elixir crontabs write it.
  std::vector<ErlangTerm::Pair> options;
  if (entry.args != "{}") options.emplace_back("args", json::erlang_term_from_json(entry.args));
  if (entry.queue) options.emplace_back("queue", ErlangTerm::atom(*entry.queue));
  if (entry.max_attempts) options.emplace_back("max_attempts", ErlangTerm::integer(*entry.max_attempts));
  return cron_name(entry.expression, entry.worker, ErlangTerm::map(std::move(options)));
}

Cron::Cron(db::ConnectionPool& pool, Inserter& inserter, const WorkerRegistry& workers, std::vector<CronEntry> crontab,
           std::string time_zone, const Clock& clock, std::function<bool()> is_leader,
           std::chrono::milliseconds delay)
    : pool_(pool),
      inserter_(inserter),
      timezone_(std::move(time_zone)),
      clock_(clock),
      is_leader_(std::move(is_leader)),
      delay_(delay) {
  std::vector<std::string> problems;
  if (delay_ < std::chrono::milliseconds{0} || delay_ >= std::chrono::minutes{1}) {
    problems.push_back("cron delay must be at least 0 s and under 60 s, got " + std::to_string(delay_.count()) + " ms");
  }
  try {
    date::locate_zone(timezone_);
  } catch (const std::exception&) {
    problems.push_back("unknown time zone '" + timezone_ + "'");
  }
  for (auto& config : crontab) {
    try {
      json::JsonObject::parse(config.args);
      Entry entry{config, CronExpression::parse(config.expression), cron_name_of(config), job_for(config, workers)};
      entry.job.meta = json::ObjectWriter{}
                           .add("cron", true)
                           .add("cron_expr", config.expression)
                           .add("cron_name", entry.name)
                           .add("cron_tz", timezone_)
                           .str();
      entries_.push_back(std::move(entry));
    } catch (const std::exception& e) {
      problems.push_back("cron entry '" + config.expression + " " + config.worker + "': " + e.what());
    }
  }
  if (!problems.empty()) {
    std::string message = "invalid crontab:";
    for (const auto& problem : problems) message += "\n  " + problem;
    throw std::invalid_argument(message);
  }
}

CronTick Cron::run_once() {
  std::lock_guard run{run_mutex_};
  CronTick tick;
  if (entries_.empty() || !is_leader_()) return tick;
  const auto now = clock_.now();
  const auto minute = std::chrono::floor<std::chrono::minutes>(now);
  // Not yet: an Elixir crontab listing the entry may still insert it for this minute.
  if (now < minute + delay_) return tick;
  std::vector<Entry*> due;
  for (auto& entry : entries_) {
    if (entry.expression.is_reboot() ? !entry.rebooted : entry.expression.matches_at(minute, timezone_)) {
      due.push_back(&entry);
    }
  }
  if (due.empty()) return tick;

  std::vector<std::string> workers, names;
  for (auto* entry : due) {
    workers.push_back(entry->config.worker);
    names.push_back(entry->name);
  }
  auto conn = pool_.acquire();
  pqxx::work tx{*conn};
  db::lock_cron_entries(tx, kCronLockNamespace, names);
  const auto already = db::cron_entries_inserted_in(tx, inserter_.prefix(), workers, names, minute);

  std::vector<NewJob> jobs;
  for (auto* entry : due) {
    if (std::find(already.begin(), already.end(), entry->name) != already.end()) {
      tick.skipped.push_back(entry->config.worker);
      continue;
    }
    NewJob job = entry->job;
    // Written from this node's clock rather than the DB default, so the same-minute check
    // above compares like with like. Scheduled at the same instant, as Elixir's row is
    // (both its times are the one DB default); the explicit state keeps it available.
    job.inserted_at = now;
    job.scheduled_at = now;
    job.state = JobState::available;
    jobs.push_back(std::move(job));
    tick.inserted.push_back(entry->config.worker);
  }
  const auto results = inserter_.insert_all(tx, jobs);
  tx.commit();
  for (auto* entry : due) entry->rebooted = true;
  inserter_.notify_available(results);
  return tick;
}

PluginReport Cron::run() {
  const auto tick = run_once();
  return {{"jobs", tick.inserted}, {"skipped", tick.skipped}};
}

std::chrono::milliseconds Cron::next_delay() const {
  // Wake at the next evaluation time (plus a little, so the clock has crossed it).
  const auto now = clock_.now();
  auto next = std::chrono::floor<std::chrono::minutes>(now) + delay_;
  if (next <= now) next += std::chrono::minutes{1};
  return std::chrono::ceil<std::chrono::milliseconds>(next - now) + std::chrono::milliseconds{5};
}

}  // namespace oban::plugins
