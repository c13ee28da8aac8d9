#pragma once
// Inserting jobs exactly as Elixir's Oban.insert/insert_all with the Basic engine writes
// them, with Oban's uniqueness semantics for single and batch inserts.
#include <memory>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/clock.hpp"
#include "oban/core/insert_result.hpp"
#include "oban/core/job.hpp"
#include "oban/core/new_job.hpp"
#include "oban/db/connection.hpp"

namespace oban {

class Inserter {
 public:
  // `schema_version` below 14 drops `suspended` from unique states (older enums lack it).
  Inserter(db::ConnectionPool& pool, std::string prefix, const Clock& clock = SystemClock::instance(),
           int schema_version = 14);

  // Each insert is reported as Oban's engine span: "engine:insert_job" for insert(),
  // "engine:insert_all_jobs" for both insert_all()s.
  // One job, with NOTIFY insert when it is available, the wake-up delivered with its commit:
  // one autocommit statement, or one transaction for a unique job (lock, check, insert).
  // Throws std::invalid_argument listing every problem of an invalid job.
  InsertResult insert(const NewJob& job);

  // Many jobs with per-job semantics (uniqueness included, also among the batch itself),
  // in a few statements, the insert notifications sent with them (as insert()).
  std::vector<InsertResult> insert_all(const std::vector<NewJob>& jobs);

  // The same inside the caller's transaction. Sends no notifications: call
  // notify_available after committing.
  std::vector<InsertResult> insert_all(pqxx::transaction_base& tx, const std::vector<NewJob>& jobs);

  // NOTIFY insert {"queue": q} once per distinct queue of available results.
  void notify_available(const std::vector<InsertResult>& results);

  const std::string& prefix() const { return prefix_; }

 private:
  // One statement or transaction per attempt, retried on transient errors; `operation`
  // names the span whose ":retry" events report each retried attempt.
  std::vector<InsertResult> insert_with_retry(const std::vector<NewJob>& jobs, const char* operation);
  std::vector<InsertResult> insert_in(pqxx::transaction_base& tx, const std::vector<NewJob>& jobs);  // validated already

  db::ConnectionPool& pool_;
  std::string prefix_;
  const Clock& clock_;
  int schema_version_;
};

}  // namespace oban
