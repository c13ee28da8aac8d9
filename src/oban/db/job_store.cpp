#include "oban/db/job_store.hpp"

#include <algorithm>
#include <functional>
#include <tuple>

#include "oban/db/connection.hpp"
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

std::string int_array_literal(const std::vector<int>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += std::to_string(items[i]);
  }
  return out + "}";
}

// The parameters of a batch of acks, one array per column.
struct Columns {
  std::vector<std::int64_t> ids;
  std::vector<int> attempts;
  std::vector<std::string> nodes;
  std::vector<std::string> uuids;
  std::vector<std::string> ats;
  std::vector<std::string> scheduled;
  std::vector<std::string> entries;
  std::vector<int> errors;     // errors entries at fetch (the cancel guard)
  std::vector<int> uncounted;  // 1: give the attempt back
  std::vector<int> kinds;      // the AckKind
};

constexpr unsigned bit(AckKind kind) { return 1U << static_cast<unsigned>(kind); }
constexpr unsigned kAllKinds = 0x3F;

// The columns, for a batch holding acks of `kinds`: those no kind of it writes or checks are
// left empty (unnest pads them with NULL), since PostgreSQL parses every element it is sent.
// A batch of completions, the common one, sends five of the ten.
Columns columns(const std::vector<const JobAck*>& acks, unsigned kinds) {
  const bool at = kinds & (bit(AckKind::complete) | bit(AckKind::discard) | bit(AckKind::cancel));
  const bool scheduled = kinds & (bit(AckKind::error) | bit(AckKind::snooze));
  const bool entry = kinds & (bit(AckKind::error) | bit(AckKind::discard) | bit(AckKind::cancel));
  const bool errors = kinds & bit(AckKind::cancel);
  const bool uncounted = kinds & bit(AckKind::error);
  const bool several = (kinds & (kinds - 1)) != 0;
  Columns c;
  for (const auto* ack : acks) {
    c.ids.push_back(ack->id);
    c.attempts.push_back(ack->attempt);
    c.nodes.push_back(ack->node);
    c.uuids.push_back(ack->producer_uuid);
    if (at) c.ats.push_back(format_sql_timestamp(ack->at));
    if (scheduled) c.scheduled.push_back(format_sql_timestamp(ack->scheduled_at));
    if (entry) c.entries.push_back(ack->error_entry.empty() ? "{}" : ack->error_entry);
    if (errors) c.errors.push_back(ack->errors_at_fetch);
    if (uncounted) c.uncounted.push_back(ack->counts_attempt ? 0 : 1);
    if (several) c.kinds.push_back(static_cast<int>(ack->kind));
  }
  return c;
}

// The acks of a batch, one array per column, bound as $1..$10 in this order.
constexpr const char* kAckRows =
    "unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::timestamp[], $6::timestamp[], $7::jsonb[],"
    " $8::int[], $9::int[], $10::int[]) AS v(id, attempt, node, uuid, at, scheduled_at, entry, errors, uncounted, kind)";
// Every ack is guarded: the row is still this run's...
constexpr const char* kThisRun = "o.id = v.id AND o.attempt = v.attempt AND o.attempted_by = ARRAY[v.node, v.uuid]";
constexpr const char* kStillExecuting = " AND o.state = 'executing'";
// ...or, for a cancel, Oban.cancel_job/1 cancelled it while it ran and no entry was added since.
constexpr const char* kExecutingOrCancelledWithoutEntry =
    " AND (o.state = 'executing' OR (o.state = 'cancelled' AND coalesce(cardinality(o.errors), 0) = v.errors))";

// What each kind of ack writes: the row as Oban's per-job UPDATE leaves it.
struct AckWrite {
  AckKind kind;
  const char* name;
  const char* sets;
  const char* guard;
};
constexpr AckWrite kAckWrites[] = {
    {AckKind::complete, "complete", "state = 'completed', completed_at = v.at", kStillExecuting},
    // An infrastructure failure gives its attempt back (uncounted = 1); the entry still tells.
    {AckKind::error, "error",
     "state = 'retryable', errors = o.errors || ARRAY[v.entry], scheduled_at = v.scheduled_at, "
     "attempt = o.attempt - v.uncounted",
     kStillExecuting},
    {AckKind::discard, "discard", "state = 'discarded', errors = o.errors || ARRAY[v.entry], discarded_at = v.at",
     kStillExecuting},
    // As released in v2.23.1: max_attempts grows by one, attempt is kept, no error entry.
    {AckKind::snooze, "snooze", "state = 'scheduled', scheduled_at = v.scheduled_at, max_attempts = o.max_attempts + 1",
     kStillExecuting},
    // The executor always cancels with an error (a {:cancel, _} return or a pkill). As Oban,
    // it may append it to a row the API cancelled while the job ran (fixture row 14).
    {AckKind::cancel, "cancel", "state = 'cancelled', errors = o.errors || ARRAY[v.entry], cancelled_at = v.at",
     kExecutingOrCancelledWithoutEntry},
    // As if never fetched: any node takes it again, with the attempt it had.
    {AckKind::release, "release", "state = 'available', attempt = o.attempt - 1", kStillExecuting},
};

// One statement for the acks of the kinds in `kinds` (a bit per AckKind): a single kind is
// one UPDATE; several are one UPDATE each in data-modifying CTEs over the same rows. Either
// way the statement is atomic on its own, so it needs no transaction around it.
std::string ack_statement(const std::string& table, unsigned kinds) {
  std::vector<const AckWrite*> writes;
  for (const auto& write : kAckWrites) {
    if (kinds & bit(write.kind)) writes.push_back(&write);
  }
  const auto update = [&](const AckWrite& write, const std::string& from, const std::string& filter) {
    return "UPDATE " + table + " AS o SET " + write.sets + " FROM " + from + " WHERE " + filter + kThisRun +
           write.guard + " RETURNING o.id";
  };
  if (writes.size() == 1) return update(*writes.front(), kAckRows, "");
  std::string sql = std::string("WITH v AS MATERIALIZED (SELECT * FROM ") + kAckRows + ")";
  std::string select;
  for (const auto* write : writes) {
    const std::string cte = std::string("acked_") + write->name;
    sql += ", " + cte + " AS (" +
           update(*write, "v", "v.kind = " + std::to_string(static_cast<int>(write->kind)) + " AND ") + ")";
    select += (select.empty() ? " SELECT id FROM " : " UNION ALL SELECT id FROM ") + cte;
  }
  return sql + select;
}

const char* state_after(AckKind kind) {
  switch (kind) {
    case AckKind::complete: return "completed";
    case AckKind::error: return "retryable";
    case AckKind::discard: return "discarded";
    case AckKind::snooze: return "scheduled";
    case AckKind::cancel: return "cancelled";
    case AckKind::release: return "available";
  }
  return "completed";
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
  const std::string attempted_at = format_sql_timestamp(request.now);
  const std::string attempted_by = text_array_literal({request.node, request.producer_uuid});
  // One statement in autocommit: a single round trip, atomic on its own.
  pqxx::result rows = autocommit([&] {
    pqxx::nontransaction tx{conn};
    return filtered ? tx.exec_prepared(name, request.queue, request.demand, attempted_at, attempted_by,
                                       text_array_literal(*request.workers))
                    : tx.exec_prepared(name, request.queue, request.demand, attempted_at, attempted_by);
  });
  std::vector<Job> jobs;
  jobs.reserve(rows.size());
  for (const auto& row : rows) jobs.push_back(read_job(row));
  // RETURNING has no order; start jobs in the order Oban dispatches them.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
    return std::tie(a.priority, a.scheduled_at, a.id) < std::tie(b.priority, b.scheduled_at, b.id);
  });
  return jobs;
}

std::vector<Job> JobStore::owned_jobs(pqxx::transaction_base& tx, const std::string& queue, const std::string& node,
                                     const std::string& producer_uuid, const std::vector<std::int64_t>& except) const {
  const auto name = statement_name("owned_jobs", prefix_);
  prepare(tx.conn(), name,
          "SELECT " + job_columns("o") + " FROM " + table_ +
              " AS o WHERE o.state = 'executing' AND o.queue = $1 AND o.attempted_by = $2::text[]"
              " AND NOT (o.id = ANY($3::bigint[])) ORDER BY o.priority, o.scheduled_at, o.id");
  std::vector<Job> jobs;
  for (const auto& row :
       tx.exec_prepared(name, queue, text_array_literal({node, producer_uuid}), bigint_array_literal(except))) {
    jobs.push_back(read_job(row));
  }
  return jobs;
}

std::vector<std::int64_t> JobStore::write_acks(pqxx::transaction_base& tx, const std::vector<JobAck>& acks) const {
  if (acks.empty()) return {};
  unsigned kinds = 0;
  std::vector<const JobAck*> all;
  for (const auto& ack : acks) {
    kinds |= bit(ack.kind);
    all.push_back(&ack);
  }
  const auto name = statement_name("ack_jobs_" + std::to_string(kinds), prefix_);
  prepare(tx.conn(), name, ack_statement(table_, kinds));
  const auto c = columns(all, kinds);
  std::vector<std::int64_t> written;
  for (const auto& row :
       tx.exec_prepared(name, bigint_array_literal(c.ids), int_array_literal(c.attempts), text_array_literal(c.nodes),
                        text_array_literal(c.uuids), text_array_literal(c.ats), text_array_literal(c.scheduled),
                        text_array_literal(c.entries), int_array_literal(c.errors), int_array_literal(c.uncounted),
                        int_array_literal(c.kinds))) {
    written.push_back(row[0].as<std::int64_t>());
  }
  return written;
}

std::vector<std::int64_t> JobStore::ack_jobs(pqxx::connection& conn, const std::vector<JobAck>& acks) const {
  if (acks.empty()) return {};
  return autocommit([&] {
    pqxx::nontransaction tx{conn};
    return write_acks(tx, acks);
  });
}

std::vector<AckStatus> JobStore::ack_status(pqxx::connection& conn, const std::vector<JobAck>& acks) const {
  std::vector<const JobAck*> all;
  std::vector<std::string> states;
  for (const auto& ack : acks) {
    all.push_back(&ack);
    states.push_back(state_after(ack.kind));
  }
  const auto name = statement_name("ack_status", prefix_);
  // landed: the row holds what this ack writes (its own timestamp, or for a release the
  // attempt given back). pending: still this run's, without it.
  prepare(conn, name,
          "SELECT v.id, "
          "coalesce(o.state::text = v.state AND o.attempted_by = ARRAY[v.node, v.uuid] AND CASE v.state "
          "WHEN 'completed' THEN o.completed_at = v.at WHEN 'discarded' THEN o.discarded_at = v.at "
          "WHEN 'cancelled' THEN o.cancelled_at = v.at AND coalesce(cardinality(o.errors), 0) > v.errors "
          "WHEN 'available' THEN o.attempt = v.attempt - 1 ELSE o.scheduled_at = v.scheduled_at END, false), "
          "coalesce(o.attempt = v.attempt AND o.attempted_by = ARRAY[v.node, v.uuid] AND (o.state = 'executing' OR "
          "(v.state = 'cancelled' AND o.state = 'cancelled' AND coalesce(cardinality(o.errors), 0) = v.errors)), false) "
          "FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::timestamp[], $6::timestamp[], $7::int[], "
          "$8::text[]) WITH ORDINALITY AS v(id, attempt, node, uuid, at, scheduled_at, errors, state, n) "
          "LEFT JOIN " + table_ + " AS o ON o.id = v.id ORDER BY v.n");
  const auto c = columns(all, kAllKinds);
  pqxx::nontransaction tx{conn};
  std::vector<AckStatus> statuses;
  for (const auto& row : tx.exec_prepared(name, bigint_array_literal(c.ids), int_array_literal(c.attempts),
                                          text_array_literal(c.nodes), text_array_literal(c.uuids),
                                          text_array_literal(c.ats), text_array_literal(c.scheduled),
                                          int_array_literal(c.errors), text_array_literal(states))) {
    statuses.push_back(row[1].as<bool>() ? AckStatus::landed
                                         : row[2].as<bool>() ? AckStatus::pending : AckStatus::superseded);
  }
  return statuses;
}

bool JobStore::lock_for_ack(pqxx::transaction_base& tx, const JobAck& ack) const {
  const auto name = statement_name("lock_for_ack", prefix_);
  prepare(tx.conn(), name,
          "SELECT o.state::text, o.attempt, o.attempted_by = $2::text[], coalesce(cardinality(o.errors), 0) FROM " +
              table_ + " AS o WHERE o.id = $1 FOR UPDATE");
  const auto rows = tx.exec_prepared(name, ack.id, text_array_literal({ack.node, ack.producer_uuid}));
  if (rows.empty()) return false;
  const auto& row = rows[0];
  if (row[1].as<int>() != ack.attempt || row[2].is_null() || !row[2].as<bool>()) return false;
  const std::string state = row[0].c_str();
  return state == "executing" ||
         (ack.kind == AckKind::cancel && state == "cancelled" && row[3].as<int>() == ack.errors_at_fetch);
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
