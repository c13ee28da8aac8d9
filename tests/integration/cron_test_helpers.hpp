#pragma once
// Helpers shared by the cron and cluster tests: the Rindle coordinator worker as the
// Elixir crontab schedules it, and row counts by cron minute.
#include <fstream>
#include <map>
#include <stdexcept>
#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "oban/worker.hpp"
#include "support/test_database.hpp"

namespace cron_test {

inline const std::string kCoordinator = "Rindle.Workers.MuxSyncCoordinator";

// Declared like Rindle's Elixir worker: queue rindle_provider, max_attempts 1.
class CoordinatorWorker final : public oban::Worker {
 public:
  std::string name() const override { return kCoordinator; }
  oban::WorkerOptions options() const override {
    oban::WorkerOptions options;
    options.queue = "rindle_provider";
    options.max_attempts = 1;
    return options;
  }
  oban::JobResult perform(oban::JobContext&) override { return oban::JobResult::ok(); }
};

inline oban::WorkerRegistry coordinator_registry() {
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<CoordinatorWorker>());
  return registry;
}

// Number of jobs of `worker` per minute of inserted_at ("YYYY-MM-DD HH:MM").
inline std::map<std::string, int> jobs_per_minute(test_support::TestSchema& schema,
                                                  const std::string& worker = kCoordinator) {
  pqxx::read_transaction tx{schema.conn()};
  std::map<std::string, int> out;
  for (const auto& row : tx.exec_params("SELECT to_char(date_trunc('minute', inserted_at), 'YYYY-MM-DD HH24:MI'), "
                                        "count(*) FROM " + schema.jobs_table() +
                                            " WHERE worker = $1 GROUP BY 1 ORDER BY 1",
                                        worker)) {
    out[row[0].as<std::string>()] = row[1].as<int>();
  }
  return out;
}

inline int count_jobs(test_support::TestSchema& schema) {
  pqxx::read_transaction tx{schema.conn()};
  return tx.exec("SELECT count(*) FROM " + schema.jobs_table())[0][0].as<int>();
}

// Line `id` (1-based) of the fixture rows.jsonl.
inline std::string fixture_row(int id) {
  std::ifstream in{std::string{OBAN_FIXTURES_DIR} + "/rows.jsonl"};
  std::string line;
  for (int i = 1; std::getline(in, line); ++i) {
    if (i == id) return line;
  }
  throw std::runtime_error("no fixture row " + std::to_string(id));
}

}  // namespace cron_test
