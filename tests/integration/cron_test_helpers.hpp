#pragma once
// Helpers shared by the cron and cluster tests: the Rindle coordinator worker as the
// Elixir crontab schedules it, row counts by cron minute, and Elixir's own cron INSERT.
#include <fstream>
#include <map>
#include <stdexcept>
#include <memory>
#include <string>

#include <catch2/catch.hpp>
#include <pqxx/pqxx>
#include <regex>

#include "oban/core/timestamp.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/worker.hpp"
#include "support/pg_dump.hpp"
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

// Elixir's cron INSERT from sql-log.txt ("CRON INSERT"), with its parameters, against our
// schema. The log leaves inserted_at and scheduled_at to the DB default (one transaction
// time); we pass that time explicitly so it can be set to the manual clock's minute.
inline void elixir_cron_insert(test_support::TestSchema& schema, oban::Timestamp at) {
  const std::string log = test_support::read_text_file(std::string{OBAN_FIXTURES_DIR} + "/sql-log.txt");
  auto pos = log.find("## CRON INSERT");
  REQUIRE(pos != std::string::npos);
  pos = log.find("    INSERT INTO", pos);
  REQUIRE(pos != std::string::npos);
  const auto sql_end = log.find('\n', pos);
  std::string sql = log.substr(pos + 4, sql_end - pos - 4);
  const auto params_end = log.find('\n', sql_end + 1);
  const std::string params_line = log.substr(sql_end + 1, params_end - sql_end - 1);

  const auto replace = [&](const std::string& from, const std::string& to) {
    const auto at_pos = sql.find(from);
    REQUIRE(at_pos != std::string::npos);
    sql.replace(at_pos, from.size(), to);
  };
  replace("\"public\".\"oban_jobs\"", oban::db::qualified(schema.prefix(), "oban_jobs"));
  replace("\"worker\") VALUES", "\"worker\",\"inserted_at\",\"scheduled_at\") VALUES");
  replace("$9)", "$9,$10::timestamp,$10::timestamp)");

  std::vector<std::string> params;
  static const std::regex param{R"(\$\d+ = '((?:[^']|'')*)')"};
  for (std::sregex_iterator it{params_line.begin(), params_line.end(), param}, end; it != end; ++it) {
    params.push_back(std::regex_replace((*it)[1].str(), std::regex{"''"}, "'"));
  }
  REQUIRE(params.size() == 9);
  CHECK(params[8] == kCoordinator);
  params.push_back(oban::format_sql_timestamp(at));
  pqxx::work tx{schema.conn()};
  CHECK(tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params)).size() == 1);
  tx.commit();
}

}  // namespace cron_test
