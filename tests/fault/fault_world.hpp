#pragma once
// One scenario's world: its own PostgreSQL (FaultServer), a migrated schema the login role
// may use, the counting worker in a registry, jobs inserted (one statement, then the insert
// notification Elixir sends), and the census that ends every scenario with one printed
// line of counts.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "counting_worker.hpp"
#include "fault_server.hpp"
#include "oban/runtime/node_config.hpp"
#include "oban/worker.hpp"

namespace fault {

using namespace std::chrono_literals;

// The counts every scenario prints and checks.
struct Census {
  long inserted = 0;
  long completed = 0;
  long runs_once = 0;
  long runs_twice = 0;
  long runs_unexpected = 0;  // jobs run a number of times their mode does not call for
  long left_executing = 0;
  long attempts_burned = 0;  // see FaultWorld::census()
  long secrets_in_logs = 0;
  std::vector<std::pair<std::string, std::string>> extra;  // scenario-specific counts

  void add(std::string key, long value) { extra.emplace_back(std::move(key), std::to_string(value)); }
  void add(std::string key, std::string value) { extra.emplace_back(std::move(key), std::move(value)); }
  // The extra count named `key` ("" when absent).
  std::string get(const std::string& key) const;
  std::string line(const std::string& scenario) const;
};

struct JobSpec {
  std::string mode = "ok";  // see counting_worker.hpp
  int sleep_ms = 0;
  bool db = false;
};

class FaultWorld {
 public:
  // Starts the server and migrates the schema ("fault"); `with_rindle` adds Rindle's tables.
  explicit FaultWorld(std::string scenario, bool with_rindle = false);
  ~FaultWorld();
  FaultWorld(const FaultWorld&) = delete;
  FaultWorld& operator=(const FaultWorld&) = delete;

  const std::string& scenario() const { return scenario_; }
  const std::string& prefix() const { return prefix_; }
  const std::string& jobs_table() const { return jobs_table_; }
  FaultServer& server() { return server_; }
  oban::WorkerRegistry& registry() { return registry_; }
  CountingWorker& worker() { return *worker_; }

  // A node of the fault queue on `dsn` (the password DSN, direct or through a proxy).
  oban::NodeConfig node_config(const std::string& dsn, int limit) const;

  // `count` jobs of the counting worker inserted in one statement, then the insert
  // notification Elixir sends; returns their ids.
  std::vector<std::int64_t> insert_jobs(int count, const JobSpec& spec = {});

  // The test's own queries, as superuser over the unix socket (reconnecting after restarts).
  long count(const std::string& where_clause);
  std::string text(const std::string& sql);
  void exec(const std::string& sql);

  // Polls until no job is outside `final_states` (SQL list), or `timeout` (scaled()).
  bool wait_until_settled(std::chrono::milliseconds timeout, const std::string& final_states = "'completed'");

  // A text the scenario saw outside telemetry (an exception's what(), a child process's
  // stdout and stderr); the secret scan reads these too.
  void note_text(std::string text) { noted_texts_.push_back(std::move(text)); }
  // Texts that leak the password: everything reported through telemetry since the world
  // began (LogCapture: each event as the default logger's text and JSON lines and whole),
  // plus the noted texts.
  long secrets_leaked();
  const std::string& first_leak() const { return first_leak_; }

  // Counts for every job of the counting worker. A run is expected once per job, twice for
  // a mode whose first run fails or snoozes by design. An attempt counts as burned by the
  // infrastructure when a job has more errors entries than its own runs wrote (a dead
  // connection's failure, a duplicate entry from a blindly repeated ack), an attempt number
  // beyond the runs it had (a fetch whose job never ran), or a max_attempts raised beyond
  // its own snoozes.
  Census census(const std::string& where_clause = "TRUE");
  // Prints the census line (and on a failed expectation the last log lines), and checks
  // that every job completed, ran as expected, none is left executing, no attempt was
  // burned and no secret leaked.
  void report_and_check(const Census& census);
  void print(const Census& census);

 private:
  pqxx::connection& admin();

  std::string scenario_;
  FaultServer server_;
  std::string prefix_ = "fault";
  std::string jobs_table_;
  std::unique_ptr<pqxx::connection> admin_;
  oban::WorkerRegistry registry_;
  std::shared_ptr<CountingWorker> worker_;
  std::vector<std::string> noted_texts_;
  std::string first_leak_;
};

// `timeout` times OBAN_FAULT_TIME_SCALE (default 1; the sanitizer builds run slower and set
// it): for waits on progress, never for the length of a fault or a bound a scenario asserts.
std::chrono::milliseconds scaled(std::chrono::milliseconds timeout);

// Polls `condition` every `every` until it holds or `timeout` passes; returns its last value.
bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
              std::chrono::milliseconds every = 20ms);

// Aborts the process with a message when a scenario outlives its bound (a node that hangs
// in stop() must fail the suite, not stall CI for the CTest timeout).
class Watchdog {
 public:
  Watchdog(std::string what, std::chrono::seconds bound);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace fault
