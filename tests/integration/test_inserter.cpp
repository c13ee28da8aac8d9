// The Inserter against a real PostgreSQL: rows as Elixir writes them, Oban's uniqueness,
// batches, notifications and concurrent inserters.
#include <catch2/catch.hpp>

#include <algorithm>
#include <barrier>
#include <fstream>
#include <regex>
#include <thread>

#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/insert_statements.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/json/json_object.hpp"
#include "support/pg_dump.hpp"
#include "support/test_database.hpp"

using namespace oban;
using namespace std::chrono_literals;
using test_support::TestSchema;

namespace {

const std::string kWorker = "Rindle.Workers.MuxSyncProviderAsset";
const std::string kFixtures = OBAN_FIXTURES_DIR;

NewJob provider_job(const std::string& asset_id) {
  NewJob job;
  job.worker = kWorker;
  job.queue = "rindle_provider";
  job.args = R"({"provider_asset_id": ")" + asset_id + "\"}";
  job.max_attempts = 3;
  return job;
}

UniqueOptions rindle_unique() {
  UniqueOptions unique;
  unique.fields = {UniqueField::args, UniqueField::worker};
  unique.keys = {"provider_asset_id"};
  return unique;
}

// The system time now, so rows the DB stamps and the manual clock agree.
Timestamp wall_now() { return SystemClock::instance().now(); }

std::int64_t count_jobs(TestSchema& schema) {
  pqxx::work tx{schema.conn()};
  return tx.exec("SELECT count(*) FROM " + schema.jobs_table())[0][0].as<std::int64_t>();
}

std::string row_json(TestSchema& schema, std::int64_t id) {
  pqxx::work tx{schema.conn()};
  return tx.exec_params("SELECT row_to_json(j)::text FROM " + schema.jobs_table() + " AS j WHERE j.id = $1", id)[0][0]
      .c_str();
}

std::string fixture_row(std::int64_t id) {
  std::ifstream in{kFixtures + "/rows.jsonl"};
  std::string line;
  while (std::getline(in, line)) {
    if (json::JsonObject::parse(line).integer("id") == id) return line;
  }
  FAIL("no fixture row " << id);
  return {};
}

// One section of sql-log.txt: the statement starting with `starts` after `header`, and
// its parameters ("$1 = '...'", quotes doubled inside).
struct LoggedStatement {
  std::string sql;
  std::vector<std::string> params;
};

LoggedStatement logged_statement(const std::string& header, const std::string& starts, const std::string& prefix) {
  const std::string log = test_support::read_text_file(kFixtures + "/sql-log.txt");
  auto at = log.find(header);
  REQUIRE(at != std::string::npos);
  at = log.find("    " + starts, at);
  REQUIRE(at != std::string::npos);
  auto sql_end = log.find('\n', at);
  LoggedStatement out;
  out.sql = log.substr(at + 4, sql_end - at - 4);
  const std::string quoted_public = "\"public\".\"oban_jobs\"";
  out.sql.replace(out.sql.find(quoted_public), quoted_public.size(), db::qualified(prefix, "oban_jobs"));
  auto params_end = log.find('\n', sql_end + 1);
  const std::string params_line = log.substr(sql_end + 1, params_end - sql_end - 1);
  static const std::regex param{R"(\$\d+ = '((?:[^']|'')*)')"};
  for (std::sregex_iterator it{params_line.begin(), params_line.end(), param}, end; it != end; ++it) {
    out.params.push_back(std::regex_replace((*it)[1].str(), std::regex{"''"}, "'"));
  }
  return out;
}

pqxx::result run_logged(TestSchema& schema, const LoggedStatement& statement) {
  pqxx::work tx{schema.conn()};
  auto result = tx.exec_params(statement.sql, pqxx::prepare::make_dynamic_params(statement.params));
  tx.commit();
  return result;
}

struct Fixture {
  TestSchema schema{"ins"};
  db::ConnectionPool pool{schema.dsn(), 4};
  ManualClock clock{wall_now()};
  Inserter inserter{pool, schema.prefix(), clock};
};

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, const std::string& channel) : pqxx::notification_receiver(conn, channel) {}
  void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
  std::vector<std::string> payloads;
};

// Waits up to `timeout` for `count` notifications, then briefly for any extra one.
void await_notifications(pqxx::connection& conn, Receiver& receiver, std::size_t count,
                         std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (receiver.payloads.size() < count && std::chrono::steady_clock::now() < deadline) {
    conn.await_notification(0, 100000);
  }
  conn.await_notification(0, 150000);
}

}  // namespace

TEST_CASE("a plain insert writes the row Elixir wrote for plain-1", "[inserter]") {
  Fixture f;
  auto result = f.inserter.insert(provider_job("plain-1"));
  CHECK_FALSE(result.conflict);
  CHECK(result.job.id > 0);
  CHECK(result.job.state == JobState::available);

  const auto ours = json::JsonObject::parse(row_json(f.schema, result.job.id));
  const auto theirs = json::JsonObject::parse(fixture_row(2));
  // Columns the insert writes, as Elixir wrote them.
  for (const char* column : {"queue", "worker", "args", "errors", "max_attempts", "priority", "tags", "meta",
                             "discarded_at", "cancelled_at"}) {
    INFO(column);
    CHECK(ours.raw(column) == theirs.raw(column));
  }
  // The fixture row ran afterwards; at insert it was available with attempt 0 (inserts.jsonl).
  CHECK(ours.raw("state") == R"("available")");
  CHECK(ours.raw("attempt") == "0");
  CHECK(ours.raw("attempted_by") == "null");
  CHECK(ours.raw("attempted_at") == "null");
  CHECK(ours.raw("completed_at") == "null");
  // Both times are the DB default of the insert transaction, as in the fixture.
  CHECK(ours.raw("inserted_at") == ours.raw("scheduled_at"));
  CHECK(theirs.raw("inserted_at") == theirs.raw("scheduled_at"));

  // idle-1 was never run: every column but id and the times is comparable.
  auto idle = provider_job("idle-1");
  idle.queue = "anchor_idle";
  const auto idle_ours = json::JsonObject::parse(row_json(f.schema, f.inserter.insert(idle).job.id));
  const auto idle_theirs = json::JsonObject::parse(fixture_row(3));
  CHECK(idle_ours.keys().size() == idle_theirs.keys().size());
  for (const auto& column : idle_theirs.keys()) {
    if (column == "id" || column == "inserted_at" || column == "scheduled_at") continue;
    INFO(column);
    CHECK(idle_ours.raw(column) == idle_theirs.raw(column));
  }
}

TEST_CASE("scheduled, prioritized, tagged and explicitly stated inserts", "[inserter]") {
  Fixture f;
  const Timestamp at = Timestamp{std::chrono::floor<std::chrono::microseconds>(f.clock.now())} + 1h;

  auto later = provider_job("later-1");
  later.scheduled_at = at;
  auto scheduled = f.inserter.insert(later);
  CHECK(scheduled.job.state == JobState::scheduled);
  CHECK(scheduled.job.scheduled_at == at);

  auto past = provider_job("past-1");
  past.scheduled_at = f.clock.now() - 1h;
  CHECK(f.inserter.insert(past).job.state == JobState::scheduled);

  auto explicit_state = provider_job("explicit-1");
  explicit_state.scheduled_at = at;
  explicit_state.state = JobState::available;
  auto available = f.inserter.insert(explicit_state);
  CHECK(available.job.state == JobState::available);
  CHECK(available.job.scheduled_at == at);

  auto urgent = provider_job("prio-1");
  urgent.priority = 3;
  CHECK(f.inserter.insert(urgent).job.priority == 3);
  CHECK(f.inserter.insert(provider_job("prio-default")).job.priority == 0);

  auto tagged = provider_job("tags-1");
  tagged.tags = {" Mux ", "mux", "", "  ", "Sync", "SYNC"};
  auto tagged_row = f.inserter.insert(tagged).job;
  CHECK(tagged_row.tags == std::vector<std::string>{"mux", "sync"});
  CHECK(tagged_row.meta == "{}");
  CHECK(tagged_row.errors.empty());
  CHECK(tagged_row.attempt == 0);
  CHECK(tagged_row.max_attempts == 3);
}

TEST_CASE("invalid jobs are rejected with every problem and nothing is written", "[inserter]") {
  Fixture f;
  NewJob bad;
  bad.worker = "";
  bad.args = "[1]";
  bad.meta = "null";
  bad.max_attempts = 0;
  bad.priority = 10;
  try {
    f.inserter.insert(bad);
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    CHECK(message.find("worker") != std::string::npos);
    CHECK(message.find("args") != std::string::npos);
    CHECK(message.find("meta") != std::string::npos);
    CHECK(message.find("max_attempts") != std::string::npos);
    CHECK(message.find("priority") != std::string::npos);
  }
  auto good = provider_job("good-1");
  auto also_bad = provider_job("bad-2");
  also_bad.queue = std::string(128, 'q');
  CHECK_THROWS_AS(f.inserter.insert_all({good, also_bad}), std::invalid_argument);
  CHECK(count_jobs(f.schema) == 0);
}

TEST_CASE("unique by fields and keys", "[inserter]") {
  Fixture f;
  SECTION("default fields: args, queue and worker must all match") {
    auto job = provider_job("u-1");
    job.unique = UniqueOptions{};
    auto first = f.inserter.insert(job);
    CHECK_FALSE(first.conflict);
    auto again = f.inserter.insert(job);
    CHECK(again.conflict);
    CHECK(again.job.id == first.job.id);
    CHECK(again.job.args == first.job.args);

    auto other_queue = job;
    other_queue.queue = "elsewhere";
    CHECK_FALSE(f.inserter.insert(other_queue).conflict);
    auto other_worker = job;
    other_worker.worker = "Other.Worker";
    CHECK_FALSE(f.inserter.insert(other_worker).conflict);
    auto more_args = job;
    more_args.args = R"({"provider_asset_id": "u-1", "extra": 1})";
    CHECK_FALSE(f.inserter.insert(more_args).conflict);  // no keys: whole-map equality
    auto reordered = more_args;
    reordered.args = R"({"extra":1,"provider_asset_id":"u-1"})";
    CHECK(f.inserter.insert(reordered).conflict);
    CHECK(count_jobs(f.schema) == 4);
  }
  SECTION("fields without queue ignore the queue") {
    auto job = provider_job("u-2");
    job.unique = rindle_unique();
    auto first = f.inserter.insert(job);
    job.queue = "elsewhere";
    auto again = f.inserter.insert(job);
    CHECK(again.conflict);
    CHECK(again.job.id == first.job.id);
    CHECK(again.job.queue == "rindle_provider");
  }
  SECTION("keys compare the listed keys by containment") {
    auto job = provider_job("u-3");
    job.args = R"({"provider_asset_id": "u-3", "attempt_note": "a", "nested": {"x": [1, 2]}})";
    job.unique = UniqueOptions{};
    job.unique->keys = {"provider_asset_id", "nested"};
    auto first = f.inserter.insert(job);
    auto other_note = job;
    other_note.args = R"({"provider_asset_id": "u-3", "attempt_note": "b", "nested": {"x": [1, 2]}})";
    CHECK(f.inserter.insert(other_note).job.id == first.job.id);
    auto sub_nested = job;  // containment is recursive: {"x":[2]} is inside {"x":[1,2]}
    sub_nested.args = R"({"provider_asset_id": "u-3", "nested": {"x": [2]}})";
    CHECK(f.inserter.insert(sub_nested).conflict);
    auto other_id = job;
    other_id.args = R"({"provider_asset_id": "u-4", "nested": {"x": [1, 2]}})";
    CHECK_FALSE(f.inserter.insert(other_id).conflict);
  }
  SECTION("keys none of which the job has match only rows whose args are {}") {
    auto job = provider_job("u-5");
    job.unique = UniqueOptions{};
    job.unique->keys = {"missing"};
    CHECK_FALSE(f.inserter.insert(job).conflict);
    CHECK_FALSE(f.inserter.insert(job).conflict);  // the row has args, so `args <@ '{}'` fails
    auto empty = job;
    empty.args = "{}";
    CHECK_FALSE(f.inserter.insert(empty).conflict);
    CHECK(f.inserter.insert(empty).conflict);
  }
  SECTION("meta as a unique field") {
    auto job = provider_job("u-6");
    job.meta = R"({"batch": 7, "note": "x"})";
    job.unique = UniqueOptions{};
    job.unique->fields = {UniqueField::meta, UniqueField::worker};
    job.unique->keys = {"batch"};
    auto first = f.inserter.insert(job);
    auto other_args = job;
    other_args.args = R"({"provider_asset_id": "different"})";
    other_args.meta = R"({"batch": 7})";
    CHECK(f.inserter.insert(other_args).job.id == first.job.id);
    other_args.meta = R"({"batch": 8})";
    CHECK_FALSE(f.inserter.insert(other_args).conflict);
  }
}

TEST_CASE("unique period, infinity and timestamp on the inserter's clock", "[inserter]") {
  Fixture f;
  SECTION("inside and outside the period") {
    auto job = provider_job("p-1");
    job.unique = rindle_unique();
    job.unique->period = 60s;
    auto first = f.inserter.insert(job);
    f.clock.advance(45s);
    CHECK(f.inserter.insert(job).job.id == first.job.id);
    f.clock.advance(30s);  // inserted_at is now 75 s behind the clock
    auto later = f.inserter.insert(job);
    CHECK_FALSE(later.conflict);
    CHECK(later.job.id != first.job.id);
  }
  SECTION("infinity matches however old the row is") {
    auto job = provider_job("p-2");
    job.unique = UniqueOptions::infinite();
    auto first = f.inserter.insert(job);
    f.clock.advance(std::chrono::hours{24 * 365 * 5});
    CHECK(f.inserter.insert(job).job.id == first.job.id);
  }
  SECTION("timestamp scheduled_at measures the period on scheduled_at") {
    auto job = provider_job("p-3");
    job.scheduled_at = f.clock.now() + 1h;
    job.unique = rindle_unique();
    job.unique->timestamp = UniqueTimestamp::scheduled_at;
    auto first = f.inserter.insert(job);
    f.clock.advance(1h + 30s);  // scheduled_at is 30 s behind the clock, inserted_at 1 h
    CHECK(f.inserter.insert(job).job.id == first.job.id);
    auto by_inserted = job;
    by_inserted.unique->timestamp = UniqueTimestamp::inserted_at;
    CHECK_FALSE(f.inserter.insert(by_inserted).conflict);
  }
}

TEST_CASE("unique states groups", "[inserter]") {
  Fixture f;
  auto set_state = [&](std::int64_t id, const char* state) {
    pqxx::work tx{f.schema.conn()};
    tx.exec_params("UPDATE " + f.schema.jobs_table() + " SET state = $1::text::" +
                       db::qualified(f.schema.prefix(), "oban_job_state") + " WHERE id = $2",
                   state, id);
    tx.commit();
  };
  auto job = provider_job("s-1");
  job.unique = rindle_unique();
  const auto id = f.inserter.insert(job).job.id;

  set_state(id, "completed");
  job.unique->states = unique_states::successful();
  CHECK(f.inserter.insert(job).job.id == id);
  job.unique->states = unique_states::incomplete();
  auto fresh = f.inserter.insert(job);
  CHECK_FALSE(fresh.conflict);
  set_state(fresh.job.id, "cancelled");

  set_state(id, "discarded");
  job.unique->states = unique_states::successful();
  auto second = f.inserter.insert(job);
  CHECK_FALSE(second.conflict);
  set_state(second.job.id, "discarded");
  job.unique->states = unique_states::all();
  CHECK(f.inserter.insert(job).conflict);
  job.unique->states = {JobState::cancelled};
  CHECK(f.inserter.insert(job).job.id == fresh.job.id);
  job.unique->states = unique_states::scheduled();
  CHECK_FALSE(f.inserter.insert(job).conflict);
}

TEST_CASE("unique states leave out suspended before schema V14", "[inserter]") {
  TestSchema schema{"ins13", 13};
  db::ConnectionPool pool{schema.dsn(), 2};
  Inserter inserter{pool, schema.prefix(), SystemClock::instance(), 13};
  auto job = provider_job("v13");
  job.unique = rindle_unique();
  auto first = inserter.insert(job);
  CHECK_FALSE(first.conflict);
  CHECK(inserter.insert(job).job.id == first.job.id);
}

TEST_CASE("unique replace overwrites fields of the conflicting row for its state", "[inserter]") {
  Fixture f;
  auto job = provider_job("r-1");
  job.args = R"({"provider_asset_id": "r-1", "v": 1})";
  job.scheduled_at = f.clock.now() + 1h;
  job.unique = rindle_unique();
  auto first = f.inserter.insert(job);
  REQUIRE(first.job.state == JobState::scheduled);

  auto update = job;
  update.args = R"({"provider_asset_id": "r-1", "v": 2})";
  update.scheduled_at = Timestamp{std::chrono::floor<std::chrono::microseconds>(f.clock.now())} + 2h;
  update.max_attempts = 7;
  update.unique->replace = {{JobState::scheduled, {ReplaceField::scheduled_at, ReplaceField::args}}};
  auto replaced = f.inserter.insert(update);
  CHECK(replaced.conflict);
  CHECK(replaced.job.id == first.job.id);
  CHECK(replaced.job.state == JobState::scheduled);
  CHECK(replaced.job.scheduled_at == *update.scheduled_at);
  CHECK(json::JsonObject::parse(replaced.job.args).integer("v") == 2);
  CHECK(replaced.job.max_attempts == 3);  // not listed

  // No entry for the row's state: untouched.
  auto available = provider_job("r-2");
  available.unique = rindle_unique();
  const auto row = f.inserter.insert(available).job;
  auto no_replace = available;
  no_replace.scheduled_at = f.clock.now() + 3h;
  no_replace.unique->replace = {{JobState::scheduled, {ReplaceField::scheduled_at}}};
  auto kept = f.inserter.insert(no_replace);
  CHECK(kept.conflict);
  CHECK(kept.job.scheduled_at == row.scheduled_at);
  CHECK(kept.job.state == JobState::available);
  // An entry for available replaces scheduled_at but leaves the state available.
  no_replace.unique->replace = {{JobState::available, {ReplaceField::scheduled_at, ReplaceField::priority}}};
  no_replace.priority = 4;
  auto moved = f.inserter.insert(no_replace);
  CHECK(moved.job.state == JobState::available);
  CHECK(moved.job.scheduled_at == Timestamp{std::chrono::floor<std::chrono::microseconds>(*no_replace.scheduled_at)});
  CHECK(moved.job.priority == 4);
  CHECK(count_jobs(f.schema) == 2);
}

TEST_CASE("a job inserted by Elixir's SQL is a conflict for our inserter", "[inserter]") {
  TestSchema schema{"insx"};
  db::ConnectionPool pool{schema.dsn(), 2};
  Inserter inserter{pool, schema.prefix()};
  const auto insert = logged_statement("## UNIQUE INSERT (unique: [period: 60", "INSERT INTO", schema.prefix());
  REQUIRE(insert.params.size() == 9);
  CHECK(insert.params[0] == R"({"provider_asset_id": "uniq-1"})");
  const auto elixir_id = run_logged(schema, insert)[0][0].as<std::int64_t>();

  auto job = provider_job("uniq-1");
  job.unique = UniqueOptions{};
  job.unique->keys = {"provider_asset_id"};
  auto result = inserter.insert(job);
  CHECK(result.conflict);
  CHECK(result.job.id == elixir_id);
  auto rindle = provider_job("uniq-1");
  rindle.args = R"({"provider_asset_id":"uniq-1","requested_by":"coordinator"})";
  rindle.unique = rindle_unique();
  CHECK(inserter.insert(rindle).job.id == elixir_id);
  CHECK(count_jobs(schema) == 1);
}

TEST_CASE("a job our inserter wrote is found by Elixir's unique SELECT", "[inserter]") {
  TestSchema schema{"insy"};
  db::ConnectionPool pool{schema.dsn(), 2};
  Inserter inserter{pool, schema.prefix()};
  auto job = provider_job("uniq-2");
  job.unique = rindle_unique();
  const auto ours = inserter.insert(job).job;

  auto select = logged_statement("## UNIQUE INSERT, Rindle style", "SELECT o0.", schema.prefix());
  REQUIRE(select.params.size() == 5);
  CHECK(select.params[0] == "{suspended,available,scheduled,executing,retryable,completed}");
  CHECK(select.params[3] == R"({"provider_asset_id": "uniq-2"})");
  select.params[1] = format_sql_timestamp(SystemClock::instance().now() - 60s);  // the logged cutoff is of its day
  auto found = run_logged(schema, select);
  REQUIRE(found.size() == 1);
  CHECK(found[0][0].as<std::int64_t>() == ours.id);
}

TEST_CASE("insert_all gives the results of one-at-a-time inserts in a few statements", "[inserter]") {
  TestSchema batch_schema{"insb"};
  TestSchema single_schema{"inss"};
  db::ConnectionPool pool{batch_schema.dsn(), 2};
  ManualClock clock{wall_now()};
  Inserter batch{pool, batch_schema.prefix(), clock};
  Inserter single{pool, single_schema.prefix(), clock};

  auto make = [](int n) {
    auto job = provider_job("b-" + std::to_string(n));
    job.unique = rindle_unique();
    return job;
  };
  std::vector<NewJob> existing;
  for (int n = 0; n < 1000; n += 7) existing.push_back(make(n));
  for (auto* inserter : {&batch, &single}) inserter->insert_all(existing);

  std::vector<NewJob> jobs;
  for (int n = 0; n < 1000; ++n) {
    // Every 10th job repeats an earlier one of the batch; the 50th ones are not unique;
    // every 13th is scheduled and every 17th prioritized (other INSERT column sets).
    NewJob job = n % 10 == 9 ? make(n - 5) : make(n);
    if (n % 50 == 0) job.unique.reset();
    if (n % 13 == 0) job.scheduled_at = clock.now() + 10min;
    if (n % 17 == 0) job.priority = 2;
    // Columns that differ inside the batch (a column all jobs share is sent once).
    if (n % 7 == 0) job.tags = {"seventh", "t" + std::to_string(n)};
    if (n % 11 == 0) job.meta = R"({"eleventh": )" + std::to_string(n) + "}";
    if (n % 19 == 0) job.max_attempts = 5;
    jobs.push_back(job);
  }
  const auto before = db::insert_statement_count();
  const auto batched = batch.insert_all(jobs);
  const auto statements = db::insert_statement_count() - before;
  CHECK(statements <= 6);

  std::vector<InsertResult> one_by_one;
  for (const auto& job : jobs) one_by_one.push_back(single.insert(job));

  REQUIRE(batched.size() == jobs.size());
  int conflicts = 0;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    INFO("job " << i);
    CHECK(batched[i].conflict == one_by_one[i].conflict);
    CHECK(batched[i].job.id == one_by_one[i].job.id);
    CHECK(batched[i].job.args == one_by_one[i].job.args);
    CHECK(batched[i].job.state == one_by_one[i].job.state);
    CHECK(batched[i].job.tags == one_by_one[i].job.tags);
    CHECK(batched[i].job.meta == one_by_one[i].job.meta);
    CHECK(batched[i].job.max_attempts == one_by_one[i].job.max_attempts);
    if (jobs[i].scheduled_at && !batched[i].conflict) CHECK(batched[i].job.scheduled_at == *jobs[i].scheduled_at);
    conflicts += batched[i].conflict ? 1 : 0;
  }
  CHECK(conflicts > 200);
  CHECK(count_jobs(batch_schema) == count_jobs(single_schema));
  // A plain batch whose jobs differ in every column the batch can send once.
  std::vector<NewJob> plain;
  for (int n = 0; n < 6; ++n) {
    NewJob job = make(2000 + n);
    job.unique.reset();
    job.queue = n % 2 ? "other" : "rindle_provider";
    job.tags = {"p" + std::to_string(n)};
    job.meta = R"({"n": )" + std::to_string(n) + "}";
    job.max_attempts = 3 + n;
    if (n == 5) job.state = JobState::scheduled;
    plain.push_back(job);
  }
  const auto inserted = batch.insert_all(plain);
  REQUIRE(inserted.size() == plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) {
    INFO("plain job " << i);
    CHECK(inserted[i].job.queue == plain[i].queue);
    CHECK(inserted[i].job.tags == plain[i].tags);
    CHECK(inserted[i].job.meta == plain[i].meta);
    CHECK(inserted[i].job.max_attempts == plain[i].max_attempts);
    CHECK(inserted[i].job.state == (i == 5 ? JobState::scheduled : JobState::available));
    if (i > 0) CHECK(inserted[i].job.id > inserted[i - 1].job.id);
  }
}

TEST_CASE("unique jobs repeated inside one batch", "[inserter]") {
  Fixture f;
  auto make = [](int n) {
    auto job = provider_job("d-" + std::to_string(n));
    job.unique = rindle_unique();
    return job;
  };
  auto& batch = f.inserter;
  auto& clock = f.clock;
  SECTION("two equal unique jobs in one batch: the second conflicts with the first") {
    auto pair = batch.insert_all({make(5000), make(5000)});
    CHECK_FALSE(pair[0].conflict);
    CHECK(pair[1].conflict);
    CHECK(pair[1].job.id == pair[0].job.id);
    // A plain job earlier in the batch is a row later unique jobs match, too.
    auto plain = make(5001);
    plain.unique.reset();
    auto mixed = batch.insert_all({plain, make(5001)});
    CHECK(mixed[1].conflict);
    CHECK(mixed[1].job.id == mixed[0].job.id);
  }
  SECTION("a replace inside a batch applies to the row an earlier job of the batch inserted") {
    auto first = make(6000);
    first.scheduled_at = clock.now() + 1h;
    auto second = make(6000);
    second.scheduled_at = Timestamp{std::chrono::floor<std::chrono::microseconds>(clock.now())} + 2h;
    second.unique->replace = {{JobState::scheduled, {ReplaceField::scheduled_at}}};
    auto third = make(6000);
    auto results = batch.insert_all({first, second, third});
    CHECK_FALSE(results[0].conflict);
    CHECK(results[1].conflict);
    CHECK(results[1].job.id == results[0].job.id);
    CHECK(results[1].job.scheduled_at == *second.scheduled_at);
    CHECK(results[2].job.scheduled_at == *second.scheduled_at);
  }
}

TEST_CASE("insert notifications per distinct queue of available results", "[inserter]") {
  Fixture f;
  auto listener = db::connect(f.schema.dsn());
  Receiver receiver{*listener, db::channel(f.schema.prefix(), "insert")};

  auto a = provider_job("n-1");
  auto b = provider_job("n-2");
  auto c = provider_job("n-3");
  c.queue = "other";
  auto later = provider_job("n-4");
  later.queue = "scheduled_only";
  later.scheduled_at = f.clock.now() + 1h;
  f.inserter.insert_all({a, b, c, later});
  await_notifications(*listener, receiver, 2);
  std::sort(receiver.payloads.begin(), receiver.payloads.end());
  CHECK(receiver.payloads == std::vector<std::string>{R"({"queue":"other"})", R"({"queue":"rindle_provider"})"});

  receiver.payloads.clear();
  f.inserter.insert(later);
  listener->await_notification(0, 200000);
  CHECK(receiver.payloads.empty());

  // A conflict whose row is available still wakes its queue.
  auto unique = provider_job("n-5");
  unique.unique = rindle_unique();
  f.inserter.insert(unique);
  await_notifications(*listener, receiver, 1);
  receiver.payloads.clear();
  CHECK(f.inserter.insert(unique).conflict);
  await_notifications(*listener, receiver, 1);
  CHECK(receiver.payloads == std::vector<std::string>{R"({"queue":"rindle_provider"})"});

  // Inside the caller's transaction: nothing until notify_available after the commit.
  receiver.payloads.clear();
  std::vector<InsertResult> results;
  {
    auto lease = f.pool.acquire();
    pqxx::work tx{*lease};
    results = f.inserter.insert_all(tx, {provider_job("n-6")});
    tx.commit();
  }
  listener->await_notification(0, 200000);
  CHECK(receiver.payloads.empty());
  f.inserter.notify_available(results);
  await_notifications(*listener, receiver, 1);
  CHECK(receiver.payloads == std::vector<std::string>{R"({"queue":"rindle_provider"})"});
}

TEST_CASE("concurrent inserters of the same unique job leave exactly one row", "[inserter]") {
  Fixture f;
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    auto job = provider_job("race-" + std::to_string(round));
    job.unique = rindle_unique();
    std::barrier start{2};
    InsertResult results[2];
    std::thread threads[2];
    for (int t = 0; t < 2; ++t) {
      threads[t] = std::thread{[&, t] {
        start.arrive_and_wait();
        results[t] = f.inserter.insert(job);
      }};
    }
    for (auto& thread : threads) thread.join();
    CHECK(results[0].conflict != results[1].conflict);
    CHECK(results[0].job.id == results[1].job.id);
  }
  CHECK(count_jobs(f.schema) == kRounds);
}

TEST_CASE("batch pairing agrees with jsonb containment on numbers and nested values", "[inserter]") {
  Fixture f;
  TestSchema single_schema{"insn"};
  Inserter single{f.pool, single_schema.prefix(), f.clock};
  auto make = [](const std::string& args, std::vector<std::string> keys) {
    NewJob job;
    job.worker = kWorker;
    job.args = args;
    job.unique = UniqueOptions{};
    job.unique->keys = std::move(keys);
    return job;
  };
  const std::vector<NewJob> jobs{
      make(R"({"id": 1.0, "tag": [1, 2]})", {}),     make(R"({"tag": [1, 2], "id": 1})", {}),
      make(R"({"id": 2, "tag": [1, 2]})", {"id", "tag"}), make(R"({"id": 2.00, "tag": [2]})", {"id", "tag"}),
      make(R"({"id": 3, "tag": [1]})", {}),          make(R"({"id": 3, "tag": 1})", {"id", "tag"}),
      make(R"({"id": "3", "tag": [1]})", {}),       make(R"({"k": [5]})", {}),
      make(R"({"k": 5})", {"k"}),                    make(R"({"k": "\u00e9"})", {}),
      make(R"({"k": "é"})", {"k"}),                  make(R"({"k": "ü"})", {}),
      make(R"({"k": "\u00fc"})", {"k"}),            make(R"({"k": "plain"})", {"k"}),
      make(R"({"k": "other"})", {"k"}),              make(R"({"k": "plain", "x": 1})", {"k"}),
  };
  const auto batched = f.inserter.insert_all(jobs);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    INFO("job " << i);
    const auto alone = single.insert(jobs[i]);
    CHECK(batched[i].conflict == alone.conflict);
    CHECK(batched[i].job.id == alone.job.id);
  }
  CHECK(batched[1].conflict);
  CHECK(batched[3].conflict);
  CHECK_FALSE(batched[5].conflict);
  CHECK_FALSE(batched[6].conflict);
  CHECK(batched[10].conflict);  // "\u00e9" and "é" are the same jsonb string
  CHECK(batched[12].conflict);  // ...and the other way round
  CHECK_FALSE(batched[14].conflict);
  CHECK(batched[15].conflict);  // plain strings: the same text is the same value
  CHECK(batched[15].job.id == batched[13].job.id);
}
