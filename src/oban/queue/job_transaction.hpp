#pragma once
// What JobContext::transaction does for one run: the worker's writes, then the run's ack,
// in one transaction, committed only while the row is still this run's (see worker.hpp).
// Holds only shared things, so a perform that outlives its producer can still use it.
#include <memory>

#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_store.hpp"
#include "oban/queue/job_run.hpp"
#include "oban/worker.hpp"

namespace oban::queue {

class JobTransaction final : public TransactionalAck {
 public:
  // `pool` reads the row back when a COMMIT's connection is lost; `clock` must outlive any
  // perform (SystemClock does).
  JobTransaction(std::shared_ptr<JobRun> run, std::shared_ptr<const db::JobStore> store,
                 std::shared_ptr<db::ConnectionPool> pool, const Clock& clock);

  JobResult commit(pqxx::connection_base& conn,
                   const std::function<JobResult(pqxx::transaction_base&)>& writes) override;

 private:
  [[noreturn]] void ended(const std::string& why) const;
  void unclaim() const;

  std::shared_ptr<JobRun> run_;
  std::shared_ptr<const db::JobStore> store_;
  std::shared_ptr<db::ConnectionPool> pool_;
  const Clock& clock_;
};

}  // namespace oban::queue
