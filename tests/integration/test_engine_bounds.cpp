// Every database wait has a bound (pool acquire, connect, statement); acks are guarded so
// a retry never applies one twice; JobContext::transaction commits a job's writes with its
// ack, and not at all once the attempt is over.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "engine_test_helpers.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/job_store.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"

using namespace engine_test;
using namespace std::chrono_literals;
namespace db = oban::db;

namespace {

using SteadyClock = std::chrono::steady_clock;

db::FetchRequest fetch_request(const std::string& queue, const std::string& uuid) {
  db::FetchRequest request;
  request.queue = queue;
  request.demand = 10;
  request.node = "cpp-bounds";
  request.producer_uuid = uuid;
  request.now = oban::SystemClock::instance().now();
  return request;
}

// The ack a producer would write for `job`.
db::JobAck ack_for(const oban::Job& job, db::AckKind kind, const std::string& entry = "") {
  db::JobAck ack;
  ack.kind = kind;
  ack.id = job.id;
  ack.attempt = job.attempt;
  ack.node = job.attempted_by.at(0);
  ack.producer_uuid = job.attempted_by.at(1);
  ack.errors_at_fetch = static_cast<int>(job.errors.size());
  ack.at = oban::SystemClock::instance().now();
  ack.scheduled_at = ack.at + std::chrono::seconds{60};
  ack.error_entry = entry;
  return ack;
}

// Elixir's cancel_all_jobs UPDATE (sql-log.txt "CANCEL via API ... of an EXECUTING job").
void elixir_cancel(test_support::TestSchema& schema, std::int64_t id) {
  exec_sql(schema, "UPDATE " + schema.jobs_table() +
                       " AS o0 SET state = 'cancelled', cancelled_at = timezone('UTC', now()) FROM (SELECT so0.id, "
                       "so0.state, so0.queue FROM " + schema.jobs_table() + " AS so0 WHERE (so0.id = " +
                       std::to_string(id) + ") AND (NOT (so0.state IN ('cancelled','completed','discarded')))) AS s1 "
                       "WHERE (o0.id = s1.id)");
}

// A TCP port that accepts connections (the kernel completes the handshake) but never says a
// word: a server that hangs.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd_, 16);
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Writes a row in a side table inside the job's transaction, then behaves as `mode` says.
class SideWriter final : public oban::Worker {
 public:
  SideWriter(db::ConnectionPool& pool, std::string side_table, std::chrono::milliseconds timeout = 0ms)
      : pool_(pool), side_(std::move(side_table)), timeout_(timeout) {}
  std::string name() const override { return "Test.SideWriter"; }
  oban::WorkerOptions options() const override {
    oban::WorkerOptions o;
    o.timeout = timeout_;
    return o;
  }
  oban::JobResult perform(oban::JobContext& context) override {
    const auto mode = context.args.string("mode").value_or("ok");
    auto lease = pool_.acquire();
    try {
      return context.transaction(*lease, [&](pqxx::transaction_base& tx) {
        tx.exec_params("INSERT INTO " + side_ + " (job_id, mode) VALUES ($1, $2)", context.job.id, mode);
        if (mode == "wait_for_stop" || mode == "ignore_stop") {
          writing.store(true);
          std::mutex mutex;
          std::condition_variable_any cv;
          std::unique_lock lock{mutex};
          if (mode == "wait_for_stop") {
            cv.wait_for(lock, context.stop, 10s, [] { return false; });
          } else {
            cv.wait_for(lock, std::chrono::milliseconds{context.args.integer("ms").value_or(0)}, [] { return false; });
          }
        }
        if (mode == "error") return oban::JobResult::error("recorded, then failed");
        if (mode == "snooze") return oban::JobResult::snooze(60);
        if (mode == "cancel") return oban::JobResult::cancel("recorded, then cancelled");
        return oban::JobResult::ok();
      });
    } catch (const oban::AttemptEnded&) {
      ended.fetch_add(1);
      throw;
    }
  }
  std::atomic<bool> writing{false};
  std::atomic<int> ended{0};

 private:
  db::ConnectionPool& pool_;
  std::string side_;
  std::chrono::milliseconds timeout_;
};

std::string side_table(test_support::TestSchema& schema) {
  const auto table = db::qualified(schema.prefix(), "side_writes");
  exec_sql(schema, "CREATE TABLE " + table + " (job_id bigint, mode text)");
  return table;
}

oban::NodeConfig bounds_config(test_support::TestSchema& schema, bool notifications) {
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = "cpp-bounds";
  config.queues = {{"q", 4}};
  config.notifications = notifications;
  config.poll_interval = 50ms;
  config.stage_interval = 50ms;
  config.shutdown_grace = 2s;
  return config;
}

std::int64_t insert_side_job(test_support::TestSchema& schema, const std::string& args) {
  PlainJob job;
  job.worker = "Test.SideWriter";
  job.queue = "q";
  job.args = args;
  return insert_plain(schema, job, false);
}

}  // namespace

TEST_CASE("the pool gives up waiting for a free connection after acquire_timeout", "[bounds][pool]") {
  test_support::TestSchema schema{"acquire"};
  db::PoolOptions options;
  options.acquire_timeout = 300ms;
  db::ConnectionPool pool{schema.dsn(), 1, options};
  auto held = pool.acquire();
  const auto begin = SteadyClock::now();
  CHECK_THROWS_AS(pool.acquire(), db::PoolTimeout);
  const auto waited = SteadyClock::now() - begin;
  CHECK(waited >= 250ms);
  CHECK(waited < 2s);
  const auto stats = pool.stats();
  CHECK(stats.size == 1);
  CHECK(stats.open == 1);
  CHECK(stats.in_use == 1);
  CHECK(stats.idle == 0);
  CHECK(stats.waits == 1);
  CHECK(stats.wait_timeouts == 1);
  { auto moved = std::move(held); }
  CHECK(pool.stats().idle == 1);
  CHECK(pool.stats().in_use == 0);
}

TEST_CASE("a statement on a pooled connection ends at statement_timeout", "[bounds][pool]") {
  test_support::TestSchema schema{"statement"};
  db::PoolOptions options;
  options.statement_timeout = 200ms;
  db::ConnectionPool pool{schema.dsn(), 1, options};
  auto lease = pool.acquire();
  const auto begin = SteadyClock::now();
  try {
    pqxx::nontransaction tx{*lease};
    tx.exec("SELECT pg_sleep(5)");
    FAIL("pg_sleep(5) was not cut short");
  } catch (const pqxx::sql_error& e) {
    CHECK(e.sqlstate() == "57014");
    CHECK(db::classify(e) == db::ErrorClass::transient);
  }
  CHECK(SteadyClock::now() - begin < 2s);
}

TEST_CASE("connecting to a server that never answers ends at connect_timeout", "[bounds][pool]") {
  SilentServer silent;
  db::ConnectOptions options;
  options.connect_timeout = std::chrono::seconds{2};
  auto attempt = std::async(std::launch::async, [&] {
    const auto begin = SteadyClock::now();
    try {
      db::connect("host=127.0.0.1 port=" + std::to_string(silent.port()) + " dbname=x user=y password=hush", options);
      return std::make_pair(SteadyClock::duration{}, std::string{"connected?"});
    } catch (const db::ConnectionError& e) {
      return std::make_pair(SteadyClock::now() - begin, std::string{e.what()});
    }
  });
  REQUIRE(attempt.wait_for(10s) == std::future_status::ready);
  const auto [took, message] = attempt.get();
  CHECK(took >= 1500ms);
  CHECK(took < 6s);
  CHECK(message.find("timeout") != std::string::npos);
  CHECK(message.find("hush") == std::string::npos);
}

TEST_CASE("the pool discards terminated connections before lending them, and counts them", "[bounds][pool]") {
  test_support::TestSchema schema{"discard"};
  db::ConnectionPool pool{schema.dsn(), 2};
  std::vector<int> backends;
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    backends = {a->backendpid(), b->backendpid()};
  }
  for (const int pid : backends) {
    pqxx::nontransaction tx{schema.conn()};
    tx.exec_params("SELECT pg_terminate_backend($1, 5000)", pid);
  }
  auto lease = pool.acquire();
  pqxx::nontransaction tx{*lease};
  CHECK(tx.exec("SELECT 1")[0][0].as<int>() == 1);
  CHECK(pool.stats().discarded == 2);
  CHECK(pool.stats().open == 1);
}

TEST_CASE("a guarded ack written twice changes its row once", "[bounds][acks]") {
  test_support::TestSchema schema{"twice"};
  db::JobStore store{schema.prefix()};
  auto conn = db::connect(schema.dsn());
  for (int i = 0; i < 4; ++i) insert_plain(schema, PlainJob{}, false);
  const auto jobs = store.fetch_jobs(*conn, fetch_request("rindle_provider", "uuid-a"));
  REQUIRE(jobs.size() == 4);
  const auto entry = db::error_entry(oban::SystemClock::instance().now(), 1, "** (RuntimeError) boom");
  const std::vector<db::JobAck> acks{ack_for(jobs[0], db::AckKind::error, entry), ack_for(jobs[1], db::AckKind::snooze),
                                     ack_for(jobs[2], db::AckKind::cancel, entry),
                                     ack_for(jobs[3], db::AckKind::discard, entry)};
  CHECK(store.ack_jobs(*conn, acks).size() == 4);
  // As a retry after a lost COMMIT would: nothing more happens.
  CHECK(store.ack_jobs(*conn, acks).empty());
  for (const auto status : store.ack_status(*conn, acks)) CHECK(status == db::AckStatus::landed);
  const auto where = [&](const oban::Job& job) {
    return " FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(job.id);
  };
  CHECK(query_count(schema, "SELECT cardinality(errors)" + where(jobs[0])) == 1);
  CHECK(query_count(schema, "SELECT max_attempts" + where(jobs[1])) == 4);
  CHECK(query_count(schema, "SELECT cardinality(errors)" + where(jobs[2])) == 1);
  CHECK(query_count(schema, "SELECT cardinality(errors)" + where(jobs[3])) == 1);
}

TEST_CASE("a late ack from a rescued run changes nothing of the new run", "[bounds][acks]") {
  test_support::TestSchema schema{"rescued"};
  db::JobStore store{schema.prefix()};
  auto conn = db::connect(schema.dsn());
  const auto id = insert_plain(schema, PlainJob{}, false);
  const auto first = store.fetch_jobs(*conn, fetch_request("rindle_provider", "uuid-first"));
  REQUIRE(first.size() == 1);
  // The Lifeline's rescue (rescue_jobs), then another producer takes it.
  exec_sql(schema, "UPDATE " + schema.jobs_table() + " SET state = 'available' WHERE id = " + std::to_string(id));
  const auto second = store.fetch_jobs(*conn, fetch_request("rindle_provider", "uuid-second"));
  REQUIRE(second.size() == 1);
  const auto late = ack_for(first[0], db::AckKind::complete);
  CHECK(store.ack_jobs(*conn, {late}).empty());
  CHECK(store.ack_status(*conn, {late}).at(0) == db::AckStatus::superseded);
  CHECK(job_state(schema, id) == "executing");
  CHECK(query_count(schema, "SELECT attempt FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(id)) == 2);
  // The new run's own ack lands.
  CHECK(store.ack_jobs(*conn, {ack_for(second[0], db::AckKind::complete)}).size() == 1);
}

TEST_CASE("after Oban.cancel_job/1, a pkill's cancel ack adds its errors entry once, and nothing else lands",
          "[bounds][acks]") {
  test_support::TestSchema schema{"apicancel"};
  db::JobStore store{schema.prefix()};
  auto conn = db::connect(schema.dsn());
  const auto id = insert_plain(schema, PlainJob{}, false);
  const auto jobs = store.fetch_jobs(*conn, fetch_request("rindle_provider", "uuid-a"));
  REQUIRE(jobs.size() == 1);
  elixir_cancel(schema, id);
  CHECK(store.ack_jobs(*conn, {ack_for(jobs[0], db::AckKind::complete)}).empty());
  const auto shutdown = ack_for(jobs[0], db::AckKind::cancel,
                                db::error_entry(oban::SystemClock::instance().now(), 1,
                                                "** (Oban.PerformError) W failed with {:cancel, :shutdown}"));
  CHECK(store.ack_jobs(*conn, {shutdown}).size() == 1);
  CHECK(store.ack_jobs(*conn, {shutdown}).empty());
  CHECK(job_state(schema, id) == "cancelled");
  CHECK(query_count(schema, "SELECT cardinality(errors) FROM " + schema.jobs_table() + " WHERE id = " +
                                std::to_string(id)) == 1);
}

TEST_CASE("a job's transactional writes commit with its ack, whatever the outcome", "[bounds][transaction]") {
  test_support::TestSchema schema{"txack"};
  const auto side = side_table(schema);
  db::ConnectionPool pool{schema.dsn(), 4};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<SideWriter>(pool, side));
  oban::Node node{bounds_config(schema, false), registry};
  node.start();
  const std::map<std::string, std::string> outcomes{
      {"ok", "completed"}, {"error", "retryable"}, {"snooze", "scheduled"}, {"cancel", "cancelled"}};
  std::map<std::string, std::int64_t> ids;
  for (const auto& [mode, state] : outcomes) ids[mode] = insert_side_job(schema, R"({"mode": ")" + mode + R"("})");
  for (const auto& [mode, state] : outcomes) {
    INFO(mode);
    CHECK(wait_for([&, id = ids[mode], want = state] { return job_state(schema, id) == want; }));
  }
  node.stop();
  CHECK(query_count(schema, "SELECT count(*) FROM " + side) == 4);
  // Written by the transaction, not again by the completer.
  CHECK(query_count(schema, "SELECT cardinality(errors) FROM " + schema.jobs_table() + " WHERE id = " +
                                std::to_string(ids["error"])) == 1);
  CHECK(query_count(schema, "SELECT max_attempts FROM " + schema.jobs_table() + " WHERE id = " +
                                std::to_string(ids["snooze"])) == 4);
}

TEST_CASE("a job cancelled as Elixir cancels it while its worker writes commits none of its writes",
          "[bounds][transaction]") {
  test_support::TestSchema schema{"cancelwrite"};
  const auto side = side_table(schema);
  db::ConnectionPool pool{schema.dsn(), 4};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<SideWriter>(pool, side);
  registry.add(worker);
  oban::Node node{bounds_config(schema, true), registry};
  node.start();
  REQUIRE(wait_for([&] { return oban::internals(node).notifier()->connected(); }));
  const auto id = insert_side_job(schema, R"({"mode": "wait_for_stop"})");
  REQUIRE(wait_for([&] { return worker->writing.load(); }));
  // Oban.cancel_job/1: the UPDATE, then the pkill signal, exactly as Elixir sends them.
  elixir_cancel(schema, id);
  send_notification(schema, "signal", "[\"{\\\"action\\\":\\\"pkill\\\",\\\"job_id\\\":" + std::to_string(id) + "}\"]");
  REQUIRE(wait_for([&] { return worker->ended.load() == 1; }));
  REQUIRE(wait_for([&] {
    return query_count(schema, "SELECT cardinality(errors) FROM " + schema.jobs_table() + " WHERE id = " +
                                   std::to_string(id)) == 1;
  }));
  node.stop();
  CHECK(query_count(schema, "SELECT count(*) FROM " + side) == 0);
  CHECK(job_state(schema, id) == "cancelled");
  CHECK(query_text(schema, "SELECT errors[1]->>'error' FROM " + schema.jobs_table() + " WHERE id = " +
                               std::to_string(id)) ==
        "** (Oban.PerformError) Test.SideWriter failed with {:cancel, :shutdown}");
}

TEST_CASE("a timeout while a transactional write waits commits no write; the slot stays counted until perform returns",
          "[bounds][transaction]") {
  test_support::TestSchema schema{"timeoutwrite"};
  const auto side = side_table(schema);
  db::ConnectionPool pool{schema.dsn(), 4};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<SideWriter>(pool, side, 200ms);
  registry.add(worker);
  oban::Node node{bounds_config(schema, false), registry};
  node.start();
  const auto id = insert_side_job(schema, R"({"mode": "ignore_stop", "ms": 1500})");
  REQUIRE(wait_for([&] { return job_state(schema, id) == "retryable"; }));
  // Its ack (the timeout) is written, yet perform still runs: its slot is still taken.
  CHECK(oban::internals(node).producer("q")->performing() == 1);
  CHECK(oban::internals(node).producer("q")->check().running == std::vector<std::int64_t>{id});
  REQUIRE(wait_for([&] { return worker->ended.load() == 1; }, 5s));
  CHECK(wait_for([&] { return oban::internals(node).producer("q")->performing() == 0; }));
  node.stop();
  CHECK(query_count(schema, "SELECT count(*) FROM " + side) == 0);
  CHECK(query_text(schema, "SELECT errors[1]->>'error' FROM " + schema.jobs_table() + " WHERE id = " +
                               std::to_string(id)) == "** (Oban.TimeoutError) Test.SideWriter timed out after 200ms");
}

TEST_CASE("a transactional COMMIT whose connection is lost is read back: not committed, retried uncounted, written once",
          "[bounds][transaction]") {
  test_support::TestSchema schema{"lostcommit"};
  const auto side = side_table(schema);
  const auto kill_once = db::qualified(schema.prefix(), "kill_once");
  const auto die = db::qualified(schema.prefix(), "die_at_commit");
  exec_sql(schema, "CREATE SEQUENCE " + kill_once + ";"
                   "CREATE FUNCTION " + die + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF NEW.state = 'completed' THEN IF nextval('" + kill_once + "') = 1 THEN "
                   "PERFORM pg_terminate_backend(pg_backend_pid()); END IF; END IF; RETURN NULL; END $$;"
                   "CREATE CONSTRAINT TRIGGER die_at_commit AFTER UPDATE ON " + schema.jobs_table() +
                   " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION " + die + "();");
  db::ConnectionPool pool{schema.dsn(), 2};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<SideWriter>(pool, side));
  oban::ManualClock clock{oban::SystemClock::instance().now()};
  oban::Node node{bounds_config(schema, false), registry, clock};
  oban::internals(node).set_leader_check([] { return true; });
  node.start();
  const auto id = insert_side_job(schema, R"({"mode": "ok"})");
  const auto where = " FROM " + schema.jobs_table() + " WHERE id = " + std::to_string(id);
  REQUIRE(wait_for([&] { return job_state(schema, id) == "retryable"; }));
  CHECK(query_count(schema, "SELECT attempt" + where) == 0);  // not counted
  CHECK(query_text(schema, "SELECT errors[1]->>'error'" + where).starts_with("** (DBConnection.ConnectionError) "));
  CHECK(query_count(schema, "SELECT count(*) FROM " + side) == 0);
  clock.advance(30s);
  REQUIRE(wait_for([&] { return job_state(schema, id) == "completed"; }));
  node.stop();
  CHECK(query_count(schema, "SELECT count(*) FROM " + side) == 1);
  CHECK(query_count(schema, "SELECT attempt" + where) == 1);
}
