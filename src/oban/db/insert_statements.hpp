#pragma once
// The SQL of the inserter (Oban's insert_job / insert_all_jobs, plus the unique check of
// section 4), each written to serve a whole batch in one statement.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "oban/core/job.hpp"
#include "oban/db/job_insert_row.hpp"

namespace oban::db {

// The advisory lock namespace of C++ inserters: "OBAN" in ASCII. Used only with the
// two-int4 form, whose key space never meets Elixir's single-bigint keys.
constexpr std::int32_t kUniqueLockNamespace = 0x4F42414E;
// Unique lock keys are folded into this many buckets (a power of two): see lock_unique_keys.
constexpr std::int32_t kUniqueLockBuckets = 1024;

// Statements sent by the functions below since the process started; lets tests check
// that a batch costs a handful of statements, not one per job.
std::uint64_t insert_statement_count();

// Takes pg_advisory_xact_lock(kUniqueLockNamespace, key) for the distinct keys of the
// unique jobs among `jobs`, in ascending key order so two batches never deadlock. Blocks.
void lock_unique_keys(pqxx::transaction_base& tx, const std::vector<PreparedJob>& jobs, std::size_t begin,
                      std::size_t end);

struct UniqueMatch {
  std::size_t index = 0;                // the unique job in `jobs`
  std::optional<Job> existing;          // a matching row already in the table (LIMIT 1)
  std::vector<std::size_t> earlier;     // jobs in [begin, index) whose planned row would match
};

// For every unique job in [begin, end): a row in the table that its check matches, and
// which earlier jobs of the same range it would match once inserted. One statement; the
// pairing inside the range is left out where the probe values rule it out (distinct plain
// strings, as a fan-out of distinct ids has), and so are the columns no check compares.
std::vector<UniqueMatch> find_unique_matches(pqxx::transaction_base& tx, const std::string& prefix,
                                             const std::vector<PreparedJob>& jobs, std::size_t begin,
                                             std::size_t end);

// Inserts `jobs` in one INSERT ... SELECT FROM unnest ... ON CONFLICT DO NOTHING RETURNING
// (priority and scheduled_at listed only when a job gives them, as Ecto writes them).
// Rows come back in the order of `jobs`, their ids ascending in that order. The same
// statement sends `notify` (JSON payloads) on "<prefix>.oban_insert", delivered with its
// commit: in autocommit, an insert and its wake-up are one round trip.
std::vector<Job> insert_jobs(pqxx::transaction_base& tx, const std::string& prefix,
                             const std::vector<const PreparedJob*>& jobs, const std::vector<std::string>& notify = {});

// Overwrites `fields` of row `id` from `job` (state untouched) and returns the row.
// Throws std::runtime_error when the row is gone (Elixir: Ecto.StaleEntryError).
Job replace_job(pqxx::transaction_base& tx, const std::string& prefix, std::int64_t id,
                const PreparedJob& job, const std::vector<ReplaceField>& fields);

}  // namespace oban::db
