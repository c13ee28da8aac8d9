#pragma once
// Read-only queries for `rindle-worker status` (and any operator tool): what the queues hold
// and who holds the leadership, as of the database's clock.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace oban::db {

// Job counts: queue -> state -> count.
std::map<std::string, std::map<std::string, long long>> count_jobs(pqxx::transaction_base& tx,
                                                                     const std::string& prefix);

// Per queue, the age in seconds of its oldest available job (by scheduled_at).
std::map<std::string, double> oldest_available_age(pqxx::transaction_base& tx, const std::string& prefix);

struct LongExecution {
  std::int64_t id = 0;
  std::string queue;
  std::string worker;
  std::string node;          // attempted_by[1], "" when none
  double executing_s = 0;    // since attempted_at
};

// How many jobs have been executing for more than `seconds`, and the `limit` oldest of them.
long long count_executing_longer_than(pqxx::transaction_base& tx, const std::string& prefix, double seconds);
std::vector<LongExecution> executing_longer_than(pqxx::transaction_base& tx, const std::string& prefix, double seconds,
                                                 int limit);

struct PeerRow {
  std::string name;  // the election name ("Oban", "oban-cpp", ...)
  std::string node;  // the node holding it
  bool live = false; // its lease has not expired
};

// The rows of oban_peers; empty when the table does not exist (a schema older than V11).
std::vector<PeerRow> list_peers(pqxx::transaction_base& tx, const std::string& prefix);

}  // namespace oban::db
