// The engine's failure edges, on a real PostgreSQL made to fail for real: triggers that
// refuse, sleep or end their own backend at COMMIT, terminated backends, a stopped server.
// Each test counts what matters: runs per job, rows left executing, attempts and errors
// entries the infrastructure cost. (They use only the Node API, SQL and telemetry.)
#include <catch2/catch.hpp>

#include <time.h>
#include <unistd.h>

#include "engine_test_helpers.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/schema.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"

using namespace engine_test;
using namespace std::chrono_literals;

namespace {

oban::NodeConfig faults_config(test_support::TestSchema& schema, const std::string& queue, int limit) {
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = "cpp-faults";
  config.queues = {{queue, limit}};
  config.notifications = false;  // the poll drives fetching; no pkill unless a test sends one
  config.poll_interval = 50ms;
  config.stage_interval = 50ms;
  config.shutdown_grace = 2s;
  return config;
}

std::string table_in(test_support::TestSchema& schema, const std::string& name) {
  return oban::db::qualified(schema.prefix(), name);
}

void insert_jobs(test_support::TestSchema& schema, const std::string& worker, const std::string& queue, int count,
                 const std::string& args = "{}") {
  PlainJob job;
  job.worker = worker;
  job.queue = queue;
  job.args = args;
  for (int i = 0; i < count; ++i) insert_plain(schema, job, false);
}

long long errors_entries(test_support::TestSchema& schema) {
  return query_count(schema, "SELECT coalesce(sum(cardinality(errors)), 0) FROM " + schema.jobs_table());
}

// A worker that uses a connection pool of its own, as Rindle's workers do.
class PoolUser final : public oban::Worker {
 public:
  explicit PoolUser(oban::db::ConnectionPool& pool) : pool_(pool) {}
  std::string name() const override { return "Test.PoolUser"; }
  oban::JobResult perform(oban::JobContext&) override {
    auto lease = pool_.acquire();
    pqxx::nontransaction tx{*lease};
    tx.exec("SELECT 1");
    return oban::JobResult::ok();
  }

 private:
  oban::db::ConnectionPool& pool_;
};

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// Ends every client backend but the caller's, and returns once they are gone.
long long terminate_other_backends(test_support::TestSchema& schema) {
  return query_count(schema,
                     "SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                     "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' "
                     "AND datname = current_database()) AS t");
}

}  // namespace

TEST_CASE("acks the database refuses are held and retried until they land; a poison one holds back no other",
          "[faults][completer]") {
  test_support::TestSchema schema{"refused"};
  const auto switches = table_in(schema, "fault_switch");
  exec_sql(schema, "CREATE TABLE " + switches + " (refuse text PRIMARY KEY);"
                   "CREATE FUNCTION " + table_in(schema, "refuse_acks") + "() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN IF NEW.state <> 'executing' AND EXISTS (SELECT 1 FROM " + switches +
                   " AS f WHERE f.refuse = 'all' OR (f.refuse = 'poison' AND NEW.args->>'poison' = 'yes')) "
                   "THEN RAISE EXCEPTION 'acks refused by the test'; END IF; RETURN NEW; END $$;"
                   "CREATE TRIGGER refuse_acks BEFORE UPDATE ON " + schema.jobs_table() +
                   " FOR EACH ROW EXECUTE FUNCTION " + table_in(schema, "refuse_acks") + "();"
                   "INSERT INTO " + switches + " VALUES ('all'), ('poison');");
  EventLog events{{"completer:"}};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<RunCounter>();
  registry.add(worker);
  oban::Node node{faults_config(schema, "q", 10), registry};
  insert_jobs(schema, "Test.Counting", "q", 8);
  insert_jobs(schema, "Test.Counting", "q", 1, R"({"poison": "yes"})");
  node.start();

  // Every ack refused: all nine ran once and are held, still executing, none dropped.
  REQUIRE(wait_for([&] { return worker->total() == 9; }));
  REQUIRE(wait_for([&] { return events.count("completer:held") >= 1; }));
  std::this_thread::sleep_for(500ms);  // several retry rounds, all refused
  CHECK(count_in_state(schema, "executing") == 9);

  // The database takes acks again, except the poison one's: the other eight land.
  exec_sql(schema, "DELETE FROM " + switches + " WHERE refuse = 'all'");
  REQUIRE(wait_for([&] { return count_in_state(schema, "completed") == 8; }, 15s));
  CHECK(count_in_state(schema, "executing") == 1);

  // And the poison one lands once its refusal ends.
  exec_sql(schema, "DELETE FROM " + switches);
  REQUIRE(wait_for([&] { return count_in_state(schema, "completed") == 9; }, 15s));
  CHECK(wait_for([&] { return events.count("completer:released") >= 1; }, 2s));
  node.stop();
  CHECK(worker->total() == 9);
  CHECK(worker->repeated() == 0);
  CHECK(errors_entries(schema) == 0);
  CHECK(events.count("completer:lost") == 0);
}

TEST_CASE("after its idle connections were terminated, no job gets a dead connection", "[faults][pool]") {
  test_support::TestSchema schema{"terminated"};
  oban::db::ConnectionPool worker_pool{schema.dsn(), 4};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<PoolUser>(worker_pool));
  oban::Node node{faults_config(schema, "q", 4), registry};
  node.start();
  insert_jobs(schema, "Test.PoolUser", "q", 8);
  REQUIRE(wait_for([&] { return count_in_state(schema, "completed") == 8; }));

  // Twice: every idle backend (the node's, the worker pool's) ends, then jobs arrive.
  for (int round = 1; round <= 2; ++round) {
    CHECK(terminate_other_backends(schema) >= 2);
    insert_jobs(schema, "Test.PoolUser", "q", 20);
    REQUIRE(wait_for([&] { return count_in_state(schema, "completed") == 8 + 20 * round; }, 15s));
  }
  node.stop();
  CHECK(errors_entries(schema) == 0);
  CHECK(query_count(schema, "SELECT count(*) FROM " + schema.jobs_table() + " WHERE attempt <> 1") == 0);
}

TEST_CASE("rows a fetch left executing under the producer's uuid when its COMMIT was lost are run, not left",
          "[faults][producer]") {
  test_support::TestSchema schema{"lostfetch"};
  EventLog events{{"producer:", "engine:fetch_jobs"}};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<RunCounter>();
  registry.add(worker);
  auto config = faults_config(schema, "q", 5);
  oban::Node node{config, registry};
  node.start();
  auto* producer = oban::internals(node).producer("q");
  REQUIRE(wait_for([&] { return producer->fetches() >= 1; }));

  // What a fetch whose answer was lost leaves: rows executing under [node, uuid], attempt
  // counted, that the producer does not know it runs.
  std::vector<std::int64_t> stranded;
  {
    pqxx::work tx{schema.conn()};
    for (const auto& row : tx.exec_params(
             "INSERT INTO " + schema.jobs_table() +
                 " (args, attempt, errors, max_attempts, meta, queue, state, tags, worker, attempted_at, attempted_by) "
                 "SELECT jsonb_build_object('n', n), 1, '{}', 3, '{}', 'q', 'executing', '{}', 'Test.Counting', "
                 "timezone('UTC', now()), ARRAY[$1::text, $2::text] FROM generate_series(1, 3) AS n RETURNING id",
             config.node, producer->uuid())) {
      stranded.push_back(row[0].as<std::int64_t>());
    }
    tx.commit();
  }
  // The next fetch loses its connection during COMMIT (its backend ends itself there, once).
  const auto kill_once = table_in(schema, "kill_once");
  exec_sql(schema, "CREATE SEQUENCE " + kill_once + ";"
                   "CREATE FUNCTION " + table_in(schema, "die_at_commit") + "() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN IF nextval('" + kill_once + "') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); "
                   "END IF; RETURN NULL; END $$;"
                   "CREATE CONSTRAINT TRIGGER die_at_commit AFTER UPDATE ON " + schema.jobs_table() +
                   " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " +
                   table_in(schema, "die_at_commit") + "();");
  insert_jobs(schema, "Test.Counting", "q", 1);

  REQUIRE(wait_for([&] { return count_in_state(schema, "completed") == 4; }, 15s));
  node.stop();
  CHECK(events.count("engine:fetch_jobs:exception") >= 1);
  CHECK(events.count("producer:reconciled") == 1);
  for (const auto id : stranded) CHECK(worker->runs(id) == 1);
  CHECK(worker->total() == 4);
  CHECK(count_in_state(schema, "executing") == 0);
  // The stranded rows ran under the attempt their lost fetch had counted.
  CHECK(query_count(schema, "SELECT count(*) FROM " + schema.jobs_table() + " WHERE attempt <> 1") == 0);
}

TEST_CASE("an ack whose COMMIT was lost is read back, then written once", "[faults][completer]") {
  test_support::TestSchema schema{"lostack"};
  const auto kill_once = table_in(schema, "kill_once");
  exec_sql(schema, "CREATE SEQUENCE " + kill_once + ";"
                   "CREATE FUNCTION " + table_in(schema, "die_at_commit") + "() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN IF NEW.state = 'retryable' AND nextval('" + kill_once + "') = 1 THEN "
                   "PERFORM pg_terminate_backend(pg_backend_pid()); END IF; RETURN NULL; END $$;"
                   "CREATE CONSTRAINT TRIGGER die_at_commit AFTER UPDATE ON " + schema.jobs_table() +
                   " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " +
                   table_in(schema, "die_at_commit") + "();");
  EventLog events{{"engine:ack_jobs"}};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<AnchorWorker>());
  oban::Node node{faults_config(schema, "rindle_provider", 5), registry};
  node.start();
  PlainJob job;
  job.args = R"({"anchor_action": "error"})";
  const auto id = insert_plain(schema, job, false);
  REQUIRE(wait_for([&] { return job_state(schema, id) == "retryable"; }, 10s));
  node.stop();
  CHECK(events.count("engine:ack_jobs:exception") >= 1);
  // One errors entry for the one failure: the retry after the lost COMMIT did not add another.
  CHECK(query_count(schema, "SELECT cardinality(errors) FROM " + schema.jobs_table() + " WHERE id = " +
                                std::to_string(id)) == 1);
}

TEST_CASE("a job Oban.cancel_job/1 cancels while it runs ends cancelled, not completed", "[faults][completer]") {
  test_support::TestSchema schema{"cancelrun"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<AnchorWorker>();
  registry.add(worker);
  oban::Node node{faults_config(schema, "rindle_provider", 2), registry};  // no LISTEN: no pkill arrives
  node.start();
  PlainJob job;
  job.args = R"({"anchor_action": "sleep", "sleep_ms": 600})";
  const auto id = insert_plain(schema, job, false);
  REQUIRE(wait_for([&] { return worker->sleeping.load() == 1; }));
  // Elixir's cancel_all_jobs UPDATE (sql-log.txt "CANCEL via API ... of an EXECUTING job").
  exec_sql(schema, "UPDATE " + schema.jobs_table() +
                       " AS o0 SET state = 'cancelled', cancelled_at = timezone('UTC', now()) FROM (SELECT so0.id, "
                       "so0.state, so0.queue FROM " + schema.jobs_table() + " AS so0 WHERE (so0.id = " +
                       std::to_string(id) + ") AND (NOT (so0.state IN ('cancelled','completed','discarded')))) AS s1 "
                       "WHERE (o0.id = s1.id)");
  REQUIRE(wait_for([&] { return worker->sleeping.load() == 0; }));
  REQUIRE(wait_for([&] { return oban::internals(node).producer("rindle_provider")->running() == 0; }));
  node.stop();
  CHECK(job_state(schema, id) == "cancelled");
  CHECK(errors_entries(schema) == 0);
}

TEST_CASE("while the database is down the producer backs off instead of spinning", "[faults][producer]") {
  // A database of its own, closed to every connection for a while (its backends ended):
  // to the node, the database is down.
  const std::string database = "outage_" + std::to_string(getpid());
  auto admin = oban::db::connect(test_support::server_dsn());
  const auto admin_sql = [&](const std::string& sql) {
    pqxx::nontransaction tx{*admin};
    tx.exec(sql);
  };
  admin_sql("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
  admin_sql("CREATE DATABASE " + database);
  const std::string dsn = test_support::server_dsn() + " dbname=" + database;
  {
    auto conn = oban::db::connect(dsn);
    oban::db::migrate(*conn, "public", 14);
  }
  EventLog events{{"engine:fetch_jobs:exception", "producer:reconcile:exception"}};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<RunCounter>();
  registry.add(worker);
  oban::NodeConfig config;
  config.dsn = dsn;
  config.node = "cpp-outage";
  config.queues = {{"q", 5}};
  config.notifications = false;
  config.leadership = false;
  config.poll_interval = 20ms;
  {
    oban::Node node{config, registry};
    node.start();
    REQUIRE(wait_for([&] { return oban::internals(node).producer("q")->fetches() >= 1; }));

    admin_sql("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
    admin_sql("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '" + database + "'");
    const auto down = std::chrono::steady_clock::now();
    const double cpu_before = process_cpu_seconds();
    std::this_thread::sleep_for(3s);
    const double cpu = process_cpu_seconds() - cpu_before;
    const auto attempts = events.count("engine:fetch_jobs:exception") + events.count("producer:reconcile:exception");
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - down).count();
    WARN("database down " << seconds << " s: " << attempts << " fetch attempts (poll interval 20 ms), " << cpu
                          << " s of CPU");
    // Backoff 100 ms doubling to 5 s: about 5 attempts in 3 s, and the loop sleeps between
    // them (a loop whose wait deadline is already past burns a whole core).
    CHECK(attempts >= 2);
    CHECK(attempts <= 12);
    CHECK(cpu < 0.5);

    admin_sql("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
    {
      auto conn = oban::db::connect(dsn);
      pqxx::work tx{*conn};
      tx.exec("INSERT INTO public.oban_jobs (args, queue, worker) VALUES ('{}', 'q', 'Test.Counting')");
      tx.commit();
    }
    CHECK(wait_for([&] { return worker->total() == 1; }, 15s));
    node.stop();
  }
  admin_sql("DROP DATABASE " + database + " WITH (FORCE)");
}

TEST_CASE("stop() waits for a fetch in flight and gives its jobs back instead of starting them", "[faults][producer]") {
  test_support::TestSchema schema{"stopfetch"};
  const auto switches = table_in(schema, "fault_switch");
  exec_sql(schema, "CREATE TABLE " + switches + " (slow boolean);"
                   "CREATE FUNCTION " + table_in(schema, "slow_fetch") + "() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN IF NEW.state = 'executing' AND EXISTS (SELECT 1 FROM " + switches + ") THEN "
                   "PERFORM pg_sleep(0.5); END IF; RETURN NEW; END $$;"
                   "CREATE TRIGGER slow_fetch BEFORE UPDATE ON " + schema.jobs_table() +
                   " FOR EACH ROW EXECUTE FUNCTION " + table_in(schema, "slow_fetch") + "();");
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<RunCounter>();
  registry.add(worker);
  auto config = faults_config(schema, "q", 5);
  config.shutdown_grace = 0ms;
  oban::Node node{config, registry};
  node.start();
  REQUIRE(wait_for([&] { return oban::internals(node).producer("q")->fetches() >= 1; }));
  exec_sql(schema, "INSERT INTO " + switches + " VALUES (true)");
  insert_jobs(schema, "Test.Counting", "q", 3);
  REQUIRE(wait_for([&] { return oban::internals(node).producer("q")->fetching(); }));
  node.stop();  // the fetch is locking its 3 rows, 0.5 s each
  std::this_thread::sleep_for(300ms);  // anything launched late would have started by now
  CHECK(worker->total() == 0);
  CHECK(count_in_state(schema, "executing") == 0);
  CHECK(count_in_state(schema, "available") == 3);
  CHECK(query_count(schema, "SELECT count(*) FROM " + schema.jobs_table() + " WHERE attempt <> 0") == 0);
}

TEST_CASE("slow acks slow fetching: executing rows stay within the producer's bound", "[faults][producer]") {
  test_support::TestSchema schema{"slowacks"};
  exec_sql(schema, "CREATE FUNCTION " + table_in(schema, "slow_acks") + "() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN IF EXISTS (SELECT 1 FROM written WHERE state = 'completed') THEN PERFORM pg_sleep(0.3); "
                   "END IF; RETURN NULL; END $$;"
                   "CREATE TRIGGER slow_acks AFTER UPDATE ON " + schema.jobs_table() +
                   " REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION " +
                   table_in(schema, "slow_acks") + "();");
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<RunCounter>();
  registry.add(worker);
  const int limit = 5;
  const int bound = limit + 100;  // limit performs + at least 100 acks not yet written
  const int jobs = 400;
  insert_jobs(schema, "Test.Counting", "q", jobs);
  oban::Node node{faults_config(schema, "q", limit), registry};
  node.start();
  long long most = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (count_in_state(schema, "completed") < jobs && std::chrono::steady_clock::now() < deadline) {
    most = std::max(most, count_in_state(schema, "executing"));
    std::this_thread::sleep_for(10ms);
  }
  node.stop();
  WARN("most rows executing at once: " << most << " (limit " << limit << ", bound " << bound << ")");
  CHECK(count_in_state(schema, "completed") == jobs);
  CHECK(most <= bound);
  CHECK(worker->repeated() == 0);
}

TEST_CASE("invalid UTF-8 and NUL in an error text give a readable errors entry and a landed ack",
          "[faults][input]") {
  // what() ends at a NUL, so NUL comes from a returned reason, bad bytes from both.
  class BadBytes final : public oban::Worker {
   public:
    std::string name() const override { return "Test.BadBytes"; }
    oban::JobResult perform(oban::JobContext& context) override {
      if (context.args.string("mode") == "throw") throw std::runtime_error("bad \xff\xfe bytes and \xc3\x28 end");
      return oban::JobResult::error(std::string("nul \0 and \xff", 11));
    }
  };
  test_support::TestSchema schema{"badbytes"};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<BadBytes>());
  oban::Node node{faults_config(schema, "q", 2), registry};
  node.start();
  PlainJob job;
  job.worker = "Test.BadBytes";
  job.queue = "q";
  job.args = R"({"mode": "throw"})";
  const auto thrown = insert_plain(schema, job, false);
  job.args = R"({"mode": "return"})";
  const auto returned = insert_plain(schema, job, false);
  REQUIRE(wait_for([&] { return job_state(schema, thrown) == "retryable" && job_state(schema, returned) == "retryable"; }));
  node.stop();
  const auto error_of = [&](std::int64_t id) {
    return query_text(schema, "SELECT errors[1]->>'error' FROM " + schema.jobs_table() + " WHERE id = " +
                                  std::to_string(id));
  };
  // Each bad byte became U+FFFD; the entry is jsonb, so PostgreSQL took it whole.
  CHECK(error_of(thrown) == "** (RuntimeError) bad \xEF\xBF\xBD\xEF\xBF\xBD bytes and \xEF\xBF\xBD( end");
  CHECK(error_of(returned) == "** (Oban.PerformError) Test.BadBytes failed with {:error, \"nul \\0 and \xEF\xBF\xBD\"}");
}

TEST_CASE("args that are not a JSON object cancel the job at once, naming the problem", "[faults][input]") {
  test_support::TestSchema schema{"badargs"};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<RunCounter>();
  registry.add(worker);
  oban::Node node{faults_config(schema, "q", 4), registry};
  std::map<std::string, std::string> kinds{
      {"[]", "an array: []"}, {"\"text\"", "a string: \"text\""}, {"null", "null: null"}, {"42", "a number: 42"}};
  std::map<std::int64_t, std::string> expected;
  for (const auto& [args, says] : kinds) {
    PlainJob job;
    job.worker = "Test.Counting";
    job.queue = "q";
    job.args = args;
    expected[insert_plain(schema, job, false)] = says;
  }
  node.start();
  REQUIRE(wait_for([&] { return count_in_state(schema, "cancelled") == 4; }));
  node.stop();
  CHECK(worker->total() == 0);
  for (const auto& [id, says] : expected) {
    const auto where = " FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(id);
    CHECK(query_count(schema, "SELECT cardinality(errors)" + where) == 1);
    CHECK(query_count(schema, "SELECT attempt" + where) == 1);
    const auto error = query_text(schema, "SELECT errors[1]->>'error'" + where);
    CHECK(error == "** (ArgumentError) Test.Counting args must be a JSON object, got " + says);
    CHECK(error.find("std::") == std::string::npos);
  }
}

TEST_CASE("fetch and ack are telemetry spans with their counts", "[faults][telemetry]") {
  test_support::TestSchema schema{"spans"};
  EventLog events{{"engine:"}};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<RunCounter>());
  insert_jobs(schema, "Test.Counting", "q", 5);
  oban::Node node{faults_config(schema, "q", 10), registry};
  node.start();
  REQUIRE(wait_for([&] { return count_in_state(schema, "completed") == 5; }));
  node.stop();
  const auto fetches = events.named("engine:fetch_jobs:stop");
  REQUIRE_FALSE(fetches.empty());
  const auto integer = [](const oban::Value::Object& object, const std::string& key) -> std::int64_t {
    auto found = object.find(key);
    return found != object.end() && found->second.if_integer() ? *found->second.if_integer() : -1;
  };
  CHECK(integer(fetches.front().metadata, "demand") == 10);
  std::int64_t fetched = 0;
  for (const auto& fetch : fetches) {
    REQUIRE(fetch.metadata.count("queue") == 1);
    CHECK(*fetch.metadata.at("queue").if_string() == "q");
    CHECK(integer(fetch.metadata, "demand") >= 1);
    CHECK(integer(fetch.metadata, "demand") <= 10);
    CHECK(integer(fetch.measurements, "duration") > 0);
    fetched += integer(fetch.metadata, "count");
  }
  CHECK(fetched == 5);
  std::int64_t completed = 0;
  for (const auto& ack : events.named("engine:ack_jobs:stop")) {
    CHECK(integer(ack.measurements, "duration") > 0);
    if (ack.metadata.count("complete")) completed += integer(ack.metadata, "complete");
  }
  CHECK(completed == 5);
  CHECK(events.count("engine:fetch_jobs:start") == fetches.size());
}

TEST_CASE("a database failure under perform does not count the attempt", "[faults][executor]") {
  // Its own connection dies under it on the first run (the backend ends itself).
  class LosesItsConnection final : public oban::Worker {
   public:
    explicit LosesItsConnection(std::string dsn) : pool_(std::move(dsn), 1) {}
    std::string name() const override { return "Test.LosesItsConnection"; }
    oban::JobResult perform(oban::JobContext& context) override {
      auto lease = pool_.acquire();
      pqxx::nontransaction tx{*lease};
      if (context.job.errors.empty()) tx.exec("SELECT pg_terminate_backend(pg_backend_pid())");
      tx.exec("SELECT 1");
      return oban::JobResult::ok();
    }

   private:
    oban::db::ConnectionPool pool_;
  };
  test_support::TestSchema schema{"infra"};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<LosesItsConnection>(schema.dsn()));
  oban::ManualClock clock{oban::SystemClock::instance().now()};
  oban::Node node{faults_config(schema, "q", 2), registry, clock};
  oban::internals(node).set_leader_check([] { return true; });
  node.start();
  PlainJob job;
  job.worker = "Test.LosesItsConnection";
  job.queue = "q";
  job.max_attempts = 1;  // a counted failure would discard it
  const auto id = insert_plain(schema, job, false);
  const auto where = " FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(id);
  REQUIRE(wait_for([&] { return job_state(schema, id) == "retryable"; }));
  CHECK(query_count(schema, "SELECT attempt" + where) == 0);
  CHECK(query_text(schema, "SELECT errors[1]->>'error'" + where).starts_with("** (DBConnection.ConnectionError) "));
  CHECK(query_count(schema, "SELECT (errors[1]->>'attempt')::int" + where) == 1);
  clock.advance(30s);  // past the short retry delay: the stager makes it available
  REQUIRE(wait_for([&] { return job_state(schema, id) == "completed"; }));
  node.stop();
  CHECK(query_count(schema, "SELECT attempt" + where) == 1);
}
