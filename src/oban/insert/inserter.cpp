#include "oban/insert/inserter.hpp"

#include <algorithm>
#include <stdexcept>

#include "oban/core/telemetry.hpp"
#include "oban/db/insert_statements.hpp"
#include "oban/db/job_row.hpp"
#include "oban/db/notification.hpp"
#include "oban/insert/prepared_job.hpp"
#include "oban/insert/unique_batch.hpp"
#include "oban/insert/validate_job.hpp"
#include "oban/json/json_writer.hpp"

// Uniqueness and concurrency
// --------------------------
// Elixir's Basic engine guards a unique insert with pg_try_advisory_xact_lock(bigint) whose
// key hashes an Ecto dynamic-expression tree (closures included) with :erlang.phash2; that
// key depends on the deployed .beam files and cannot be computed outside the BEAM
// (oban-protocol.md section 4). C++ inserters therefore serialize among themselves with the
// two-int4 form pg_advisory_xact_lock(kUniqueLockNamespace, hashtext(...)), which blocks
// (so a racing duplicate is reported as a conflict with the real row, never dropped) and
// lives in a key space Elixir's try-lock never sees (so we can never make an Elixir insert
// fail its try-lock and silently drop its job).
//
// Race window: an Elixir inserter and a C++ inserter adding the same unique job at the same
// moment take different locks; each may run its SELECT before the other commits, and both
// insert. Avoid it by inserting each unique job type from one side only (Rindle: the
// coordinator's jobs come from C++). Between C++ inserters the check is exact, provided
// the transaction runs at READ COMMITTED (the SELECT after the lock then sees rows
// committed while we waited).
//
// Lock keys cover prefix + the values of the unique fields (queue, worker, args/meta
// filtered to the keys, canonicalized by jsonb), so jobs with the same unique options that
// can match each other share a key. Jobs with *different* options (say, one with keys and
// one without) that happen to match are not guaranteed to share one.

namespace oban {
namespace {

constexpr int kAttempts = 3;  // transaction attempts on deadlocks / dropped connections

std::string problems_text(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& problem : problems) {
    if (!out.empty()) out += "; ";
    out += problem;
  }
  return out;
}

void add_queue(std::vector<std::string>& queues, const std::string& queue) {
  if (std::find(queues.begin(), queues.end(), queue) == queues.end()) queues.push_back(queue);
}

// The distinct queues of the available results: the queues to wake.
std::vector<std::string> available_queues(const std::vector<InsertResult>& results) {
  std::vector<std::string> queues;
  for (const auto& result : results) {
    if (result.job.state == JobState::available) add_queue(queues, result.job.queue);
  }
  return queues;
}

// {"queue": q} per queue, as Oban's insert notifications.
std::vector<std::string> insert_payloads(const std::vector<std::string>& queues) {
  std::vector<std::string> payloads;
  for (const auto& queue : queues) payloads.push_back(json::ObjectWriter{}.add("queue", queue).str());
  return payloads;
}

std::vector<insert::PreparedJob> prepare_all(const std::vector<NewJob>& jobs, const std::string& prefix, Timestamp now,
                                             int schema_version) {
  std::vector<insert::PreparedJob> prepared;
  prepared.reserve(jobs.size());
  for (const auto& job : jobs) prepared.push_back(insert::prepare_job(job, prefix, now, schema_version));
  return prepared;
}

// Every problem of every job, or nothing; throws before anything is written.
void validate_all(const std::vector<NewJob>& jobs) {
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    for (auto& problem : insert::validate(jobs[i])) {
      problems.push_back(jobs.size() == 1 ? problem : "job " + std::to_string(i) + ": " + problem);
    }
  }
  if (!problems.empty()) throw std::invalid_argument("invalid job: " + problems_text(problems));
}

}  // namespace

Inserter::Inserter(db::ConnectionPool& pool, std::string prefix, const Clock& clock, int schema_version)
    : pool_(pool), prefix_(std::move(prefix)), clock_(clock), schema_version_(schema_version) {}

InsertResult Inserter::insert(const NewJob& job) {
  const std::vector<NewJob> jobs{job};
  validate_all(jobs);
  // Oban's [:oban, :engine, :insert_job] span; the closing event names the job.
  telemetry::Span span{"engine:insert_job", {{"prefix", prefix_}, {"queue", job.queue}, {"worker", job.worker}}};
  try {
    auto result = insert_with_retry(jobs, "engine:insert_job").front();
    span.add("id", result.job.id);
    span.add("conflict", result.conflict);
    span.stop();
    return result;
  } catch (const std::exception& error) {
    span.stop_with_error("error", db::redact_dsn(error.what()));
    throw;
  }
}

std::vector<InsertResult> Inserter::insert_all(const std::vector<NewJob>& jobs) {
  validate_all(jobs);
  if (jobs.empty()) return {};
  telemetry::Span span{"engine:insert_all_jobs", {{"prefix", prefix_}, {"count", jobs.size()}}};
  try {
    auto results = insert_with_retry(jobs, "engine:insert_all_jobs");
    span.add("conflicts", std::count_if(results.begin(), results.end(), [](const auto& r) { return r.conflict; }));
    span.stop();
    return results;
  } catch (const std::exception& error) {
    span.stop_with_error("error", db::redact_dsn(error.what()));
    throw;
  }
}

std::vector<InsertResult> Inserter::insert_with_retry(const std::vector<NewJob>& jobs, const char* operation) {
  for (int attempt = 1;; ++attempt) {
    try {
      auto lease = pool_.acquire();
      const auto prepared = prepare_all(jobs, prefix_, clock_.now(), schema_version_);
      const bool any_unique = std::any_of(prepared.begin(), prepared.end(), [](const auto& job) { return job.unique; });
      if (!any_unique) {
        // Every job is inserted: one autocommit statement, its notifications included.
        std::vector<const insert::PreparedJob*> rows;
        std::vector<std::string> queues;
        for (const auto& job : prepared) {
          rows.push_back(&job);
          if (job.state == JobState::available) add_queue(queues, job.queue);
        }
        return db::autocommit([&] {
          pqxx::nontransaction tx{*lease};
          std::vector<InsertResult> results;
          for (auto& row : db::insert_jobs(tx, prefix_, rows, insert_payloads(queues))) {
            results.push_back(InsertResult{std::move(row), false});
          }
          return results;
        });
      }
      pqxx::work tx{*lease};
      auto results = insert::insert_batch(tx, prefix_, prepared);
      db::notify(tx, prefix_, "insert", insert_payloads(available_queues(results)));
      tx.commit();
      return results;
    } catch (const std::exception& error) {
      // Oban's Repo.transaction retries the same way; nothing was committed. (A statement
      // whose answer was lost is in doubt, not transient: the caller hears of it.)
      if (attempt >= kAttempts || !db::is_transient(error)) throw;
      telemetry::emit(std::string{operation} + ":retry", telemetry::Level::warning,
                      {{"prefix", prefix_}, {"attempt", attempt}, {"error", db::redact_dsn(error.what())}});
    }
  }
}

// Elixir's insert_all ignores `unique` entirely (only Pro's engine honours it in bulk).
// Ours honours it with the exact per-job semantics of insert, in order, the batch included,
// because the Rindle coordinator enqueues its batches with unique options and relies on them.
std::vector<InsertResult> Inserter::insert_all(pqxx::transaction_base& tx, const std::vector<NewJob>& jobs) {
  validate_all(jobs);
  telemetry::Span span{"engine:insert_all_jobs", {{"prefix", prefix_}, {"count", jobs.size()}}};
  try {
    auto results = insert_in(tx, jobs);
    span.stop();
    return results;
  } catch (const std::exception& error) {
    span.stop_with_error("error", db::redact_dsn(error.what()));
    throw;
  }
}

std::vector<InsertResult> Inserter::insert_in(pqxx::transaction_base& tx, const std::vector<NewJob>& jobs) {
  return insert::insert_batch(tx, prefix_, prepare_all(jobs, prefix_, clock_.now(), schema_version_));
}

void Inserter::notify_available(const std::vector<InsertResult>& results) {
  const auto queues = available_queues(results);
  if (queues.empty()) return;
  try {
    auto lease = pool_.acquire();
    pqxx::work tx{*lease};
    db::notify(tx, prefix_, "insert", insert_payloads(queues));
    tx.commit();
  } catch (const std::exception& error) {
    // Like Oban, a failed wake-up is not an insert failure: the jobs are committed and the
    // stager notifies again within a second.
    telemetry::emit("notifier:notify:exception", telemetry::Level::warning,
                    {{"prefix", prefix_}, {"channel", "insert"}, {"error", error.what()}});
  }
}

}  // namespace oban
