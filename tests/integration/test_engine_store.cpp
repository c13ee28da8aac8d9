// The engine statements of JobStore, one by one, on a real PostgreSQL.
#include <catch2/catch.hpp>

#include <map>

#include "engine_test_helpers.hpp"
#include "oban/core/timestamp.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_row.hpp"
#include "oban/db/job_store.hpp"

using namespace engine_test;
namespace db = oban::db;

namespace {

oban::Timestamp at(const char* text) { return oban::parse_sql_timestamp(text); }

oban::Job load(test_support::TestSchema& schema, std::int64_t id) {
  pqxx::read_transaction tx{schema.conn()};
  return db::read_job(
      tx.exec_params("SELECT " + db::job_columns("o") + " FROM " + schema.jobs_table() + " AS o WHERE o.id = $1", id)[0]);
}

db::FetchRequest request(const std::string& queue, int demand) {
  db::FetchRequest r;
  r.queue = queue;
  r.demand = demand;
  r.node = "cpp-test-1";
  r.producer_uuid = "2b7e1f0c-4a7d-4c8e-9f1a-0123456789ab";
  r.now = at("2026-11-28 09:34:00.469444");
  return r;
}

}  // namespace


TEST_CASE("fetch_jobs takes available jobs by priority, scheduled_at, id and marks them executing", "[engine]") {
  test_support::TestSchema schema{"fetch"};
  PlainJob base;
  base.queue = "q";
  auto late = base;
  late.scheduled_at = "2026-01-01 00:00:02";
  late.state = "available";
  auto early = base;
  early.scheduled_at = "2026-01-01 00:00:01";
  early.state = "available";
  auto urgent = base;
  urgent.priority = 0;
  urgent.scheduled_at = "2026-01-01 00:00:09";
  urgent.state = "available";
  auto lazy = base;
  lazy.priority = 5;
  lazy.scheduled_at = "2026-01-01 00:00:00";
  lazy.state = "available";
  const auto id_lazy = insert_plain(schema, lazy, false);
  const auto id_late = insert_plain(schema, late, false);
  const auto id_early = insert_plain(schema, early, false);
  const auto id_urgent = insert_plain(schema, urgent, false);
  auto exhausted = base;  // attempt == max_attempts: locked and skipped, never run
  exhausted.attempt = 3;
  const auto id_exhausted = insert_plain(schema, exhausted, false);
  auto other_queue = base;
  other_queue.queue = "other";
  const auto id_other = insert_plain(schema, other_queue, false);

  db::JobStore store{schema.prefix()};
  auto conn = db::connect(schema.dsn());
  auto jobs = store.fetch_jobs(*conn, request("q", 2));
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].id == id_early);
  CHECK(jobs[1].id == id_late);
  CHECK(jobs[0].state == oban::JobState::executing);
  CHECK(jobs[0].attempt == 1);
  CHECK(jobs[0].attempted_by == std::vector<std::string>{"cpp-test-1", "2b7e1f0c-4a7d-4c8e-9f1a-0123456789ab"});
  CHECK(jobs[0].attempted_at == at("2026-11-28 09:34:00.469444"));
  CHECK(jobs[1].attempted_at == at("2026-11-28 09:34:00.469444"));

  jobs = store.fetch_jobs(*conn, request("q", 10));
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].id == id_urgent);
  CHECK(jobs[1].id == id_lazy);
  CHECK(store.fetch_jobs(*conn, request("q", 10)).empty());

  const auto stuck = load(schema, id_exhausted);
  CHECK(stuck.state == oban::JobState::available);
  CHECK(stuck.attempt == 3);
  CHECK_FALSE(stuck.attempted_at.has_value());
  CHECK(load(schema, id_other).state == oban::JobState::available);
}

TEST_CASE("fetch_jobs with a worker filter leaves other workers' jobs untouched", "[engine]") {
  test_support::TestSchema schema{"filter"};
  PlainJob mine;
  mine.queue = "shared";
  mine.worker = "Cpp.Worker";
  PlainJob theirs = mine;
  theirs.worker = "MyApp.ElixirOnly";
  const auto id_theirs = insert_plain(schema, theirs, false);
  const auto id_mine = insert_plain(schema, mine, false);
  db::JobStore store{schema.prefix()};
  auto conn = db::connect(schema.dsn());
  auto req = request("shared", 10);
  req.workers = std::vector<std::string>{"Cpp.Worker", "Cpp.Other"};
  auto jobs = store.fetch_jobs(*conn, req);
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].id == id_mine);
  const auto untouched = load(schema, id_theirs);
  CHECK(untouched.state == oban::JobState::available);
  CHECK(untouched.attempt == 0);
  CHECK(untouched.attempted_by.empty());
}

TEST_CASE("batched acks write what Oban's per-job statements write", "[engine]") {
  test_support::TestSchema schema{"acks"};
  db::JobStore store{schema.prefix()};
  auto conn = db::connect(schema.dsn());
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(insert_plain(schema, PlainJob{}, false));
  auto fetched = store.fetch_jobs(*conn, request("rindle_provider", 10));
  REQUIRE(fetched.size() == 7);

  const auto t1 = at("2026-11-28 09:34:17.021217");
  const auto t2 = at("2026-11-28 10:34:18.416147");
  const auto entry = db::error_entry(at("2026-11-28 09:34:17.021209"), 1, "** (RuntimeError) boom");
  // Each ack names the attempt it ends, as the producer builds it from the fetched row.
  std::map<std::int64_t, oban::Job> by_id;
  for (const auto& job : fetched) by_id[job.id] = job;
  const auto ack = [&](db::AckKind kind, std::int64_t id, oban::Timestamp when, oban::Timestamp scheduled,
                       const std::string& error_entry) {
    db::JobAck a;
    a.kind = kind;
    a.id = id;
    a.attempt = by_id.at(id).attempt;
    a.node = by_id.at(id).attempted_by.at(0);
    a.producer_uuid = by_id.at(id).attempted_by.at(1);
    a.at = when;
    a.scheduled_at = scheduled;
    a.error_entry = error_entry;
    return a;
  };
  std::vector<db::JobAck> acks{
      ack(db::AckKind::complete, ids[0], t1, {}, ""),
      ack(db::AckKind::complete, ids[1], t2, {}, ""),
      ack(db::AckKind::error, ids[2], t1, t2, entry),
      ack(db::AckKind::discard, ids[3], t1, {}, entry),
      ack(db::AckKind::snooze, ids[4], t1, t2, ""),
      ack(db::AckKind::cancel, ids[5], t1, {}, entry),
      ack(db::AckKind::error, ids[6], t1, t2, entry),
  };
  CHECK(store.ack_jobs(*conn, acks).size() == 7);

  auto completed = load(schema, ids[0]);
  CHECK(completed.state == oban::JobState::completed);
  CHECK(completed.completed_at == t1);
  CHECK(load(schema, ids[1]).completed_at == t2);

  auto retryable = load(schema, ids[2]);
  CHECK(retryable.state == oban::JobState::retryable);
  CHECK(retryable.scheduled_at == t2);
  REQUIRE(retryable.errors.size() == 1);
  auto parsed = oban::json::JsonObject::parse(retryable.errors[0]);
  CHECK(parsed.string("at") == "2026-11-28T09:34:17.021209Z");
  CHECK(parsed.integer("attempt") == 1);
  CHECK(parsed.string("error") == "** (RuntimeError) boom");
  CHECK(parsed.keys().size() == 3);

  auto discarded = load(schema, ids[3]);
  CHECK(discarded.state == oban::JobState::discarded);
  CHECK(discarded.discarded_at == t1);
  CHECK(discarded.errors.size() == 1);
  CHECK_FALSE(discarded.completed_at.has_value());

  auto snoozed = load(schema, ids[4]);
  CHECK(snoozed.state == oban::JobState::scheduled);
  CHECK(snoozed.scheduled_at == t2);
  CHECK(snoozed.max_attempts == 4);
  CHECK(snoozed.attempt == 1);
  CHECK(snoozed.errors.empty());

  auto cancelled = load(schema, ids[5]);
  CHECK(cancelled.state == oban::JobState::cancelled);
  CHECK(cancelled.cancelled_at == t1);
  CHECK(cancelled.errors.size() == 1);

  // Acks are guarded: once written, the same ack (a retry after a lost COMMIT) or a later
  // one for the same attempt changes nothing.
  CHECK(store.ack_jobs(*conn, {ack(db::AckKind::error, ids[6], t2, t2, entry)}).empty());
  CHECK(load(schema, ids[6]).errors.size() == 1);
  CHECK(store.ack_jobs(*conn, {ack(db::AckKind::complete, ids[5], t2, {}, "")}).empty());
  CHECK(load(schema, ids[5]).state == oban::JobState::cancelled);
}

TEST_CASE("stage_jobs makes due scheduled and retryable jobs available, never suspended ones", "[engine][stager]") {
  test_support::TestSchema schema{"stage"};
  PlainJob due;
  due.queue = "alpha";
  due.scheduled_at = "2026-11-28 09:00:00";
  const auto id_due = insert_plain(schema, due, false);
  PlainJob retry = due;
  retry.queue = "beta";
  retry.state = "retryable";
  retry.attempt = 1;
  retry.scheduled_at = "2026-11-28 09:30:00";
  const auto id_retry = insert_plain(schema, retry, false);
  PlainJob suspended = due;
  suspended.state = "suspended";
  const auto id_suspended = insert_plain(schema, suspended, false);
  PlainJob future = due;
  future.scheduled_at = "2026-11-28 11:00:00";
  const auto id_future = insert_plain(schema, future, false);
  PlainJob idle;
  idle.queue = "gamma";
  insert_plain(schema, idle, false);

  db::JobStore store{schema.prefix()};
  pqxx::work tx{schema.conn()};
  auto staged = store.stage_jobs(tx, at("2026-11-28 10:00:00"));
  REQUIRE(staged.size() == 2);
  // Latest scheduled_at first.
  CHECK(staged[0].id == id_retry);
  CHECK(staged[0].queue == "beta");
  CHECK(staged[0].previous_state == "retryable");
  CHECK(staged[1].id == id_due);
  CHECK(staged[1].previous_state == "scheduled");
  CHECK(store.check_available(tx) == std::vector<std::string>{"alpha", "beta", "gamma"});
  tx.commit();
  CHECK(job_state(schema, id_suspended) == "suspended");
  CHECK(job_state(schema, id_future) == "scheduled");
}

TEST_CASE("text arrays read back as PostgreSQL wrote them, plain or quoted, and literals round-trip", "[engine]") {
  test_support::TestSchema schema{"arrays"};
  pqxx::read_transaction tx{schema.conn()};
  const auto read = [&](const std::string& sql) { return db::parse_text_array(tx.exec(sql)[0][0]); };
  using Items = std::vector<std::string>;
  CHECK(read("SELECT '{}'::text[]").empty());
  CHECK(read("SELECT NULL::text[]").empty());
  CHECK(read("SELECT ARRAY['cpp-node-1', '2b7e1f0c-4a7d-4c8e-9f1a-0123456789ab']") ==
        Items{"cpp-node-1", "2b7e1f0c-4a7d-4c8e-9f1a-0123456789ab"});
  CHECK(read("SELECT ARRAY['a', NULL, 'b']") == Items{"a", "b"});  // null elements are skipped
  // Quoted elements (spaces, quotes, backslashes, braces, commas, empty, the word NULL) go
  // through pqxx's parser.
  const Items odd{"a b", "q\"x", "back\\slash", "{brace}", "com,ma", "", "NULL", "null"};
  CHECK(read("SELECT ARRAY['a b', 'q\"x', E'back\\\\slash', '{brace}', 'com,ma', '', 'NULL', 'null']") == odd);
  CHECK(db::parse_text_array(tx.exec_params("SELECT $1::text[]", db::text_array_literal(odd))[0][0]) == odd);
}
