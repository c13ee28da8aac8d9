#include "oban/queue/job_transaction.hpp"

#include "oban/core/telemetry.hpp"

namespace oban {

JobResult JobContext::transaction(pqxx::connection_base& conn,
                                  const std::function<JobResult(pqxx::transaction_base&)>& writes) const {
  if (ack) return ack->commit(conn, writes);
  pqxx::work tx{conn};
  JobResult result = writes(tx);
  tx.commit();
  return result;
}

}  // namespace oban

namespace oban::queue {

JobTransaction::JobTransaction(std::shared_ptr<JobRun> run, std::shared_ptr<const db::JobStore> store,
                               std::shared_ptr<db::ConnectionPool> pool, const Clock& clock)
    : run_(std::move(run)), store_(std::move(store)), pool_(std::move(pool)), clock_(clock) {}

void JobTransaction::ended(const std::string& why) const {
  throw AttemptEnded("job " + std::to_string(run_->job.id) + " attempt " + std::to_string(run_->job.attempt) +
                     " is over (" + why + "): its transaction was rolled back");
}

void JobTransaction::unclaim() const {
  std::lock_guard lock{run_->mutex};
  if (run_->decided == JobRun::Decider::transaction) run_->decided = JobRun::Decider::none;
}

JobResult JobTransaction::commit(pqxx::connection_base& conn,
                                 const std::function<JobResult(pqxx::transaction_base&)>& writes) {
  {
    std::lock_guard lock{run_->mutex};
    if (run_->decided != JobRun::Decider::none || run_->abandoned) ended("cancelled, timed out or stopped");
  }
  pqxx::work tx{conn};
  const JobResult result = writes(tx);
  const Execution execution = Executor::from_result(run_->job, run_->worker, result);
  const db::JobAck ack = Executor::to_ack(run_->job, execution, clock_.now());
  // Checked last, after the writes: a cancel that lands while they run still wins.
  if (!store_->lock_for_ack(tx, ack)) ended("the row is no longer executing under it");
  {
    std::lock_guard lock{run_->mutex};
    if (run_->decided != JobRun::Decider::none || run_->abandoned) ended("cancelled, timed out or stopped");
    run_->decided = JobRun::Decider::transaction;  // no timeout or pkill may decide it now
  }
  try {
    if (store_->write_acks(tx, {ack}).empty()) ended("the row is no longer executing under it");
    tx.commit();
  } catch (const AttemptEnded&) {
    unclaim();
    throw;
  } catch (const std::exception& error) {
    if (db::classify(error) != db::ErrorClass::in_doubt) {
      unclaim();
      throw;
    }
    // The connection went during COMMIT: read the row back to learn what happened.
    std::optional<db::AckStatus> status;
    try {
      auto lease = pool_->acquire();
      status = store_->ack_status(*lease, {ack}).at(0);
    } catch (const std::exception& read_error) {
      telemetry::emit("engine:job_transaction:unresolved", telemetry::Level::warning,
                      {{"job_id", run_->job.id}, {"error", db::redact_secrets(read_error.what(), pool_->dsn())}});
    }
    if (status != db::AckStatus::landed) {
      unclaim();
      if (status == db::AckStatus::superseded) ended("the row moved on while its commit was in doubt");
      // Not committed, or unknown: the ack that follows is guarded, so if it did commit that
      // ack changes nothing.
      throw db::ConnectionError("the connection was lost while committing job " + std::to_string(run_->job.id) +
                                "'s transaction" + (status ? "; it did not commit" : "; the row could not be read back"));
    }
  }
  std::lock_guard lock{run_->mutex};
  run_->committed = execution;
  return result;
}

}  // namespace oban::queue
