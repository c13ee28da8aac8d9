#pragma once
// The engine statements a running node sends, named after the Basic engine callbacks they
// mirror (oban-protocol.md section 3). Acks are batched: one statement per outcome kind
// for many jobs, each row written exactly as Oban's per-job UPDATE writes it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/job.hpp"
#include "oban/core/timestamp.hpp"

namespace oban::db {

struct FetchRequest {
  std::string queue;                                // queue to fetch from
  int demand = 0;                                   // limit - running
  std::string node;                                 // attempted_by[1]
  std::string producer_uuid;                        // attempted_by[2]
  std::optional<std::vector<std::string>> workers;  // only these workers; nullopt = any worker
  Timestamp now{};                                  // attempted_at, one value per batch
};

enum class AckKind { complete, error, discard, snooze, cancel };

// The outcome of one run, as the completer writes it.
struct JobAck {
  AckKind kind = AckKind::complete;
  std::int64_t id = 0;
  Timestamp at{};             // completed_at / discarded_at / cancelled_at
  Timestamp scheduled_at{};   // error: now + backoff; snooze: now + seconds
  std::string error_entry;    // error / discard / cancel: the JSON object appended to errors
};

// A job moved by stage_jobs: its id, queue and the state it had before.
struct StagedJob {
  std::int64_t id = 0;
  std::string queue;
  std::string previous_state;
};

// {"at": "<ISO 8601 µs Z>", "attempt": n, "error": "<text>"}
std::string error_entry(Timestamp at, int attempt, std::string_view error);

class JobStore {
 public:
  explicit JobStore(std::string prefix);
  const std::string& prefix() const { return prefix_; }

  // Oban's fetch CTE in one transaction: available jobs of the queue (optionally of the given
  // workers), by priority, scheduled_at, id, FOR UPDATE SKIP LOCKED, set executing. Returned
  // in dispatch order.
  std::vector<Job> fetch_jobs(pqxx::connection& conn, const FetchRequest& request) const;

  // Each writes every ack of its kind in the list (others are skipped) in one statement.
  // No state guards, as in Oban.
  void complete_job(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const;
  void error_job(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const;
  void discard_job(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const;
  void snooze_job(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const;
  void cancel_job(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const;
  // All of the above in one transaction: at most one statement per outcome kind.
  void ack_jobs(pqxx::connection& conn, const std::vector<JobAck>& acks) const;

  // scheduled/retryable jobs due at `now` become available, latest first, up to `limit`.
  std::vector<StagedJob> stage_jobs(pqxx::transaction_base& tx, Timestamp now, int limit = 5000) const;
  // Distinct queues that have available jobs, sorted.
  std::vector<std::string> check_available(pqxx::transaction_base& tx) const;

 private:
  std::string prefix_;
  std::string table_;  // "prefix".oban_jobs
};

}  // namespace oban::db
