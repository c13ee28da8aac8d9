#pragma once
// The engine statements a running node sends, named after the Basic engine callbacks they
// mirror (oban-protocol.md section 3). Acks are batched: one statement for many jobs of any
// outcome kinds, each row written exactly as Oban's per-job UPDATE writes it.
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

// How a run ends. `release` gives a job back untouched: available again, the attempt not
// counted, no errors entry (a fetch that came back after stop(), a run that shutdown cut short).
enum class AckKind { complete, error, discard, snooze, cancel, release };

// The outcome of one run, as the completer writes it. Every ack is guarded: it is written
// only while the row is still `executing` under this attempt (attempt and attempted_by as
// this run fetched them), so writing it again, or after the job was cancelled, rescued or
// taken by another node, changes nothing. The one exception is Oban's: a cancel ack may
// also land on a row Oban.cancel_job/1 already set `cancelled` while it ran (a pkill), once.
struct JobAck {
  AckKind kind = AckKind::complete;
  std::int64_t id = 0;
  int attempt = 0;            // the attempt this run is (as fetched)
  std::string node;           // attempted_by[1] as fetched
  std::string producer_uuid;  // attempted_by[2] as fetched
  int errors_at_fetch = 0;    // how many errors entries the row had when fetched (the cancel guard)
  Timestamp at{};             // completed_at / discarded_at / cancelled_at
  Timestamp scheduled_at{};   // error: now + backoff; snooze: now + seconds
  std::string error_entry;    // error / discard / cancel: the JSON object appended to errors
  bool counts_attempt = true; // error: false gives the attempt back (attempt - 1): the
                              // infrastructure failed, not the job
};

// What reading an ack's row back says about it (after a commit was lost).
enum class AckStatus {
  landed,      // the row shows this ack
  pending,     // still executing under this attempt: the ack is not written
  superseded,  // the row moved on without it (cancelled, rescued, another run, deleted)
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

  // Oban's fetch CTE as one autocommit statement: available jobs of the queue (optionally of
  // the given workers), by priority, scheduled_at, id, FOR UPDATE SKIP LOCKED, set executing.
  // Returned in dispatch order. A lost connection throws an in_doubt error (see autocommit):
  // the rows may be executing under [node, producer_uuid] without their answer.
  std::vector<Job> fetch_jobs(pqxx::connection& conn, const FetchRequest& request) const;

  // The rows `executing` under [node, producer_uuid] whose ids are not in `except`, in
  // dispatch order: what a producer finds of its own after a lost connection.
  std::vector<Job> owned_jobs(pqxx::transaction_base& tx, const std::string& queue, const std::string& node,
                              const std::string& producer_uuid, const std::vector<std::int64_t>& except) const;

  // Writes every ack in `tx` with one statement, whatever their kinds, each guarded (see
  // JobAck). Returns the ids written; the others were superseded (their rows moved on).
  std::vector<std::int64_t> write_acks(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const;
  // write_acks as one autocommit statement. A lost connection throws an in_doubt error.
  std::vector<std::int64_t> ack_jobs(pqxx::connection& conn, const std::vector<JobAck>& acks) const;
  // Each ack's row read back, in the order given.
  std::vector<AckStatus> ack_status(pqxx::connection& conn, const std::vector<JobAck>& acks) const;
  // Locks the ack's row (SELECT ... FOR UPDATE) and says whether `ack` may be written now.
  bool lock_for_ack(pqxx::transaction_base& tx, const JobAck& ack) const;

  // scheduled/retryable jobs due at `now` become available, latest first, up to `limit`.
  std::vector<StagedJob> stage_jobs(pqxx::transaction_base& tx, Timestamp now, int limit = 5000) const;
  // Distinct queues that have available jobs, sorted.
  std::vector<std::string> check_available(pqxx::transaction_base& tx) const;

 private:
  std::string prefix_;
  std::string table_;  // "prefix".oban_jobs
};

}  // namespace oban::db
