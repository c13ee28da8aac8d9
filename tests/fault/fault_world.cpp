#include "fault_world.hpp"

#include <condition_variable>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "log_capture.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/schema.hpp"
#include "rindle/rindle_schema.hpp"
#include "secret_scan.hpp"

namespace fault {

std::string Census::line(const std::string& scenario) const {
  std::ostringstream out;
  out << "fault scenario=" << scenario << " inserted=" << inserted << " completed=" << completed
      << " runs_once=" << runs_once << " runs_twice=" << runs_twice << " runs_unexpected=" << runs_unexpected
      << " left_executing=" << left_executing << " attempts_burned=" << attempts_burned
      << " secrets_in_logs=" << secrets_in_logs;
  for (const auto& [key, value] : extra) out << ' ' << key << '=' << value;
  return out.str();
}

std::string Census::get(const std::string& key) const {
  for (const auto& [name, value] : extra) {
    if (name == key) return value;
  }
  return "";
}

FaultWorld::FaultWorld(std::string scenario, bool with_rindle)
    : scenario_(std::move(scenario)), worker_(std::make_shared<CountingWorker>()) {
  LogCapture::instance().clear();
  jobs_table_ = oban::db::qualified(prefix_, "oban_jobs");
  auto& conn = admin();
  {
    pqxx::work tx{conn};
    tx.exec("CREATE SCHEMA " + oban::db::quote_ident(prefix_));
    tx.commit();
  }
  oban::db::migrate(conn, prefix_);
  if (with_rindle) rindle::install_rindle_tables(conn, prefix_);
  // The login role uses the schema as an application's role would; it owns nothing.
  const auto schema = oban::db::quote_ident(prefix_);
  const auto role = oban::db::quote_ident(kRole);
  pqxx::work tx{conn};
  tx.exec("GRANT USAGE ON SCHEMA " + schema + " TO " + role);
  tx.exec("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + schema + " TO " + role);
  tx.exec("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA " + schema + " TO " + role);
  tx.commit();
  registry_.add(worker_);
}

FaultWorld::~FaultWorld() = default;

pqxx::connection& FaultWorld::admin() {
  if (!admin_ || !admin_->is_open()) admin_ = std::make_unique<pqxx::connection>(server_.admin_dsn());
  return *admin_;
}

oban::NodeConfig FaultWorld::node_config(const std::string& dsn, int limit) const {
  oban::NodeConfig config;
  config.dsn = dsn;
  config.prefix = prefix_;
  config.node = "fault-" + scenario_;
  config.queues = {{kQueue, limit}};
  config.poll_interval = 200ms;
  config.stage_interval = 100ms;
  config.shutdown_grace = 5s;
  // Completed rows are the evidence: nothing prunes them while the scenario runs.
  config.pruner = false;
  return config;
}

std::vector<std::int64_t> FaultWorld::insert_jobs(int count, const JobSpec& spec) {
  std::vector<std::int64_t> ids;
  for (int attempt = 0;; ++attempt) {
    try {
      pqxx::work tx{admin()};
      const auto rows = tx.exec_params(
          "INSERT INTO " + jobs_table_ +
              " (worker, queue, args, max_attempts, state) SELECT $1, $2, "
              "jsonb_build_object('n', g, 'mode', $3::text, 'sleep_ms', $4::int, 'db', $5::bool), $6, 'available' "
              "FROM generate_series(1, $7::int) AS g RETURNING id",
          kWorkerName, kQueue, spec.mode, spec.sleep_ms, spec.db, kMaxAttempts, count);
      tx.exec_params("SELECT pg_notify($1, $2)", oban::db::channel(prefix_, "insert"),
                     std::string{"{\"queue\":\""} + kQueue + "\"}");
      tx.commit();
      for (const auto& row : rows) ids.push_back(row[0].as<std::int64_t>());
      return ids;
    } catch (const pqxx::broken_connection&) {
      admin_.reset();
      if (attempt == 2) throw;
    }
  }
}

long FaultWorld::count(const std::string& where_clause) {
  return std::stol(text("SELECT count(*) FROM " + jobs_table_ + " WHERE " + where_clause));
}

std::string FaultWorld::text(const std::string& sql) {
  for (int attempt = 0;; ++attempt) {
    try {
      pqxx::nontransaction tx{admin()};
      const auto rows = tx.exec(sql);
      return rows.empty() || rows[0][0].is_null() ? std::string{} : std::string{rows[0][0].c_str()};
    } catch (const pqxx::broken_connection&) {
      admin_.reset();
      if (attempt == 2) throw;
    }
  }
}

void FaultWorld::exec(const std::string& sql) { text(sql); }

bool FaultWorld::wait_until_settled(std::chrono::milliseconds timeout, const std::string& final_states) {
  return wait_for([&] { return count("state NOT IN (" + final_states + ")") == 0; }, scaled(timeout), 100ms);
}

long FaultWorld::secrets_leaked() {
  auto texts = LogCapture::instance().texts();
  texts.insert(texts.end(), noted_texts_.begin(), noted_texts_.end());
  SecretScan scan{kPassword};
  const auto leaks = static_cast<long>(scan.count_leaks(texts));
  if (leaks > 0 && first_leak_.empty()) first_leak_ = scan.first_leak();
  return leaks;
}

Census FaultWorld::census(const std::string& where_clause) {
  Census c;
  const auto runs = worker_->all_runs();
  pqxx::nontransaction tx{admin()};
  const auto rows = tx.exec_params(
      "SELECT id, state::text, attempt, max_attempts, coalesce(cardinality(errors), 0), "
      "CASE WHEN jsonb_typeof(args) = 'object' THEN coalesce(args->>'mode', 'ok') ELSE 'ok' END FROM " +
          jobs_table_ + " WHERE worker = $1 AND (" + where_clause + ")",
      kWorkerName);
  for (const auto& row : rows) {
    const auto id = row[0].as<std::int64_t>();
    const std::string state = row[1].c_str();
    const int attempt = row[2].as<int>();
    const int max_attempts = row[3].as<int>();
    const int errors = row[4].as<int>();
    const auto expected = expected_for(row[5].c_str());
    const auto found = runs.find(id);
    const int ran = found == runs.end() ? 0 : found->second;
    ++c.inserted;
    c.completed += state == "completed" ? 1 : 0;
    c.left_executing += state == "executing" ? 1 : 0;
    c.runs_once += ran == 1 ? 1 : 0;
    c.runs_twice += ran == 2 ? 1 : 0;
    c.runs_unexpected += ran != expected.runs ? 1 : 0;
    const bool burned = errors > expected.errors || attempt > ran || max_attempts > kMaxAttempts + expected.snoozes;
    c.attempts_burned += burned ? 1 : 0;
  }
  c.secrets_in_logs = secrets_leaked();
  return c;
}

void FaultWorld::print(const Census& census) {
  std::cout << census.line(scenario_) << std::endl;
}

void FaultWorld::report_and_check(const Census& census) {
  print(census);
  const bool clean = census.completed == census.inserted && census.runs_unexpected == 0 &&
                     census.left_executing == 0 && census.attempts_burned == 0 && census.secrets_in_logs == 0;
  if (!clean) {
    // The whole log, for whoever investigates; the last lines here.
    const std::string path = "/tmp/oban-fault-" + scenario_ + ".log";
    if (std::FILE* file = std::fopen(path.c_str(), "w")) {
      for (const auto& line : LogCapture::instance().texts()) std::fprintf(file, "%s\n", line.c_str());
      std::fclose(file);
    }
    std::cout << "  full log: " << path << "; last lines:\n";
    for (const auto& line : LogCapture::instance().tail(15)) std::cout << "    " << line << '\n';
    if (!first_leak_.empty()) std::cout << "  first leak: " << first_leak_ << "\n";
    std::cout << std::flush;
  }
  CHECK(census.inserted > 0);
  CHECK(census.completed == census.inserted);
  CHECK(census.runs_unexpected == 0);
  CHECK(census.left_executing == 0);
  CHECK(census.attempts_burned == 0);
  CHECK(census.secrets_in_logs == 0);
}

std::chrono::milliseconds scaled(std::chrono::milliseconds timeout) {
  static const double scale = [] {
    const char* text = std::getenv("OBAN_FAULT_TIME_SCALE");
    const double value = text != nullptr ? std::atof(text) : 1.0;
    return value >= 1.0 ? value : 1.0;
  }();
  return std::chrono::milliseconds{static_cast<long>(static_cast<double>(timeout.count()) * scale)};
}

bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
              std::chrono::milliseconds every) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(every);
  }
  return true;
}

struct Watchdog::State {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
};

Watchdog::Watchdog(std::string what, std::chrono::seconds bound) : state_(std::make_shared<State>()) {
  std::thread([state = state_, what = std::move(what), bound] {
    std::unique_lock lock{state->mutex};
    if (state->cv.wait_for(lock, bound, [&] { return state->done; })) return;
    std::fprintf(stderr, "fault watchdog: %s still running after %lld s; aborting. Last log lines:\n", what.c_str(),
                 static_cast<long long>(bound.count()));
    for (const auto& line : LogCapture::instance().tail(40)) std::fprintf(stderr, "  %s\n", line.c_str());
    std::fflush(stderr);
    std::abort();
  }).detach();
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock{state_->mutex};
    state_->done = true;
  }
  state_->cv.notify_all();
}

}  // namespace fault
