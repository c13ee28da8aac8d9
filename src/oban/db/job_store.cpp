#include "oban/db/job_store.hpp"

#include <algorithm>
#include <functional>
#include <tuple>

#include "oban/db/identifiers.hpp"
#include "oban/db/job_row.hpp"
#include "oban/json/json_writer.hpp"

namespace oban::db {
namespace {

// Prepared statement names carry a hash of the prefix: a pooled connection may serve
// nodes on different prefixes (tests do), and pqxx refuses to redefine a name.
std::string statement_name(const std::string& callback, const std::string& prefix) {
  return "oban_" + callback + "_" + std::to_string(std::hash<std::string>{}(prefix) % 1000000007ULL);
}

void prepare(pqxx::connection_base& conn, const std::string& name, const std::string& sql) {
  // pqxx keeps definitions per connection; preparing the same text again is a no-op.
  conn.prepare(name, sql);
}

std::vector<const JobAck*> of_kind(const std::vector<JobAck>& acks, AckKind kind) {
  std::vector<const JobAck*> out;
  for (const auto& ack : acks) {
    if (ack.kind == kind) out.push_back(&ack);
  }
  return out;
}

struct Columns {
  std::vector<std::int64_t> ids;
  std::vector<std::string> ats;
  std::vector<std::string> scheduled;
  std::vector<std::string> entries;
};

Columns columns(const std::vector<const JobAck*>& acks) {
  Columns c;
  for (const auto* ack : acks) {
    c.ids.push_back(ack->id);
    c.ats.push_back(format_sql_timestamp(ack->at));
    c.scheduled.push_back(format_sql_timestamp(ack->scheduled_at));
    c.entries.push_back(ack->error_entry);
  }
  return c;
}

}  // namespace

std::string error_entry(Timestamp at, int attempt, std::string_view error) {
  return json::ObjectWriter{}.add("at", format_iso8601(at)).add("attempt", attempt).add("error", error).str();
}

JobStore::JobStore(std::string prefix) : prefix_(std::move(prefix)), table_(qualified(prefix_, "oban_jobs")) {}

std::vector<Job> JobStore::fetch_jobs(pqxx::connection& conn, const FetchRequest& request) const {
  const bool filtered = request.workers.has_value();
  const std::string name = statement_name(filtered ? "fetch_jobs_filtered" : "fetch_jobs", prefix_);
  prepare(conn, name,
          "WITH subset AS (SELECT so.id AS id FROM " + table_ +
              " AS so WHERE (so.state = 'available') AND (so.queue = $1)" +
              (filtered ? " AND (so.worker = ANY($5::text[]))" : "") +
              " ORDER BY so.priority, so.scheduled_at, so.id LIMIT $2 FOR UPDATE SKIP LOCKED) "
              "UPDATE " +
              table_ +
              " AS o SET state = 'executing', attempted_at = $3::timestamp, attempted_by = $4::text[], "
              "attempt = o.attempt + 1 FROM subset AS f WHERE (o.id = f.id) AND (o.attempt < o.max_attempts) "
              "RETURNING " +
              job_columns("o"));
  pqxx::work tx{conn};
  const std::string attempted_at = format_sql_timestamp(request.now);
  const std::string attempted_by = text_array_literal({request.node, request.producer_uuid});
  pqxx::result rows =
      filtered ? tx.exec_prepared(name, request.queue, request.demand, attempted_at, attempted_by,
                                  text_array_literal(*request.workers))
               : tx.exec_prepared(name, request.queue, request.demand, attempted_at, attempted_by);
  tx.commit();
  std::vector<Job> jobs;
  jobs.reserve(rows.size());
  for (const auto& row : rows) jobs.push_back(read_job(row));
  // RETURNING has no order; start jobs in the order Oban dispatches them.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return std::tie(a.priority, a.scheduled_at, a.id) < std::tie(b.priority, b.scheduled_at, b.id);
  });
  return jobs;
}

void JobStore::complete_job(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const {
  const auto batch = of_kind(acks, AckKind::complete);
  if (batch.empty()) return;
  const auto name = statement_name("complete_job", prefix_);
  prepare(tx.conn(), name,
          "UPDATE " + table_ +
              " AS o SET state = 'completed', completed_at = v.at "
              "FROM unnest($1::bigint[], $2::timestamp[]) AS v(id, at) WHERE o.id = v.id");
  const auto c = columns(batch);
  tx.exec_prepared(name, bigint_array_literal(c.ids), text_array_literal(c.ats));
}

void JobStore::error_job(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const {
  const auto batch = of_kind(acks, AckKind::error);
  if (batch.empty()) return;
  const auto name = statement_name("error_job", prefix_);
  prepare(tx.conn(), name,
          "UPDATE " + table_ +
              " AS o SET state = 'retryable', errors = o.errors || ARRAY[v.entry], scheduled_at = v.scheduled_at "
              "FROM unnest($1::bigint[], $2::timestamp[], $3::jsonb[]) AS v(id, scheduled_at, entry) "
              "WHERE o.id = v.id");
  const auto c = columns(batch);
  tx.exec_prepared(name, bigint_array_literal(c.ids), text_array_literal(c.scheduled), text_array_literal(c.entries));
}

void JobStore::discard_job(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const {
  const auto batch = of_kind(acks, AckKind::discard);
  if (batch.empty()) return;
  const auto name = statement_name("discard_job", prefix_);
  prepare(tx.conn(), name,
          "UPDATE " + table_ +
              " AS o SET state = 'discarded', errors = o.errors || ARRAY[v.entry], discarded_at = v.at "
              "FROM unnest($1::bigint[], $2::timestamp[], $3::jsonb[]) AS v(id, at, entry) WHERE o.id = v.id");
  const auto c = columns(batch);
  tx.exec_prepared(name, bigint_array_literal(c.ids), text_array_literal(c.ats), text_array_literal(c.entries));
}

void JobStore::snooze_job(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const {
  const auto batch = of_kind(acks, AckKind::snooze);
  if (batch.empty()) return;
  const auto name = statement_name("snooze_job", prefix_);
  // As released in v2.23.1: max_attempts grows by one, attempt is kept, no error entry.
  prepare(tx.conn(), name,
          "UPDATE " + table_ +
              " AS o SET state = 'scheduled', scheduled_at = v.scheduled_at, max_attempts = o.max_attempts + 1 "
              "FROM unnest($1::bigint[], $2::timestamp[]) AS v(id, scheduled_at) WHERE o.id = v.id");
  const auto c = columns(batch);
  tx.exec_prepared(name, bigint_array_literal(c.ids), text_array_literal(c.scheduled));
}

void JobStore::cancel_job(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const {
  const auto batch = of_kind(acks, AckKind::cancel);
  if (batch.empty()) return;
  const auto name = statement_name("cancel_job", prefix_);
  // The executor always cancels with an error (a {:cancel, _} return or a pkill), which
  // Oban writes without a state guard.
  prepare(tx.conn(), name,
          "UPDATE " + table_ +
              " AS o SET state = 'cancelled', errors = o.errors || ARRAY[v.entry], cancelled_at = v.at "
              "FROM unnest($1::bigint[], $2::timestamp[], $3::jsonb[]) AS v(id, at, entry) WHERE o.id = v.id");
  const auto c = columns(batch);
  tx.exec_prepared(name, bigint_array_literal(c.ids), text_array_literal(c.ats), text_array_literal(c.entries));
}

void JobStore::ack_jobs(pqxx::connection& conn, const std::vector<JobAck>& acks) const {
  if (acks.empty()) return;
  pqxx::work tx{conn};
  complete_job(tx, acks);
  error_job(tx, acks);
  discard_job(tx, acks);
  snooze_job(tx, acks);
  cancel_job(tx, acks);
  tx.commit();
}

std::vector<StagedJob> JobStore::stage_jobs(pqxx::transaction_base& tx, Timestamp now, int limit) const {
  const auto name = statement_name("stage_jobs", prefix_);
  prepare(tx.conn(), name,
          "UPDATE " + table_ + " AS o SET state = 'available' FROM (SELECT so.id AS id, so.state AS state FROM " +
              table_ +
              " AS so WHERE (so.state IN ('scheduled','retryable')) AND (so.scheduled_at <= $1::timestamp) "
              "ORDER BY so.scheduled_at DESC, so.id DESC LIMIT $2) AS s WHERE (o.id = s.id) "
              "RETURNING o.id, o.queue, s.state::text");
  std::vector<StagedJob> staged;
  for (const auto& row : tx.exec_prepared(name, format_sql_timestamp(now), limit)) {
    staged.push_back({row[0].as<std::int64_t>(), row[1].c_str(), row[2].c_str()});
  }
  return staged;
}

std::vector<std::string> JobStore::check_available(pqxx::transaction_base& tx) const {
  const auto name = statement_name("check_available", prefix_);
  prepare(tx.conn(), name,
          "SELECT DISTINCT o.queue FROM " + table_ + " AS o WHERE (o.state = 'available') AND (NOT (o.queue IS NULL))");
  std::vector<std::string> queues;
  for (const auto& row : tx.exec_prepared(name)) queues.push_back(row[0].c_str());
  std::sort(queues.begin(), queues.end());
  return queues;
}

}  // namespace oban::db
