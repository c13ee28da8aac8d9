#include "oban/db/status_store.hpp"

#include <algorithm>

#include "oban/db/identifiers.hpp"

namespace oban::db {

std::map<std::string, std::map<std::string, long long>> count_jobs(pqxx::transaction_base& tx,
                                                                     const std::string& prefix) {
  std::map<std::string, std::map<std::string, long long>> counts;
  for (const auto& row : tx.exec("SELECT queue, state::text, count(*) FROM " + qualified(prefix, "oban_jobs") +
                                 " GROUP BY 1, 2")) {
    counts[row[0].c_str()][row[1].c_str()] = row[2].as<long long>();
  }
  return counts;
}

std::map<std::string, double> oldest_available_age(pqxx::transaction_base& tx, const std::string& prefix) {
  std::map<std::string, double> oldest;
  for (const auto& row :
       tx.exec("SELECT queue, extract(epoch FROM timezone('UTC', now()) - min(scheduled_at))::float8 FROM " +
               qualified(prefix, "oban_jobs") + " WHERE state = 'available' GROUP BY 1")) {
    oldest[row[0].c_str()] = std::max(0.0, row[1].as<double>());
  }
  return oldest;
}

namespace {
std::string executing_longer_than_where() {
  return " WHERE state = 'executing' AND attempted_at < timezone('UTC', now()) - make_interval(secs => $1)";
}
}  // namespace

long long count_executing_longer_than(pqxx::transaction_base& tx, const std::string& prefix, double seconds) {
  return tx.exec_params1("SELECT count(*) FROM " + qualified(prefix, "oban_jobs") + executing_longer_than_where(),
                         seconds)[0]
      .as<long long>();
}

std::vector<LongExecution> executing_longer_than(pqxx::transaction_base& tx, const std::string& prefix, double seconds,
                                                 int limit) {
  std::vector<LongExecution> jobs;
  for (const auto& row : tx.exec_params("SELECT id, queue, worker, coalesce(attempted_by[1], ''), "
                                        "extract(epoch FROM timezone('UTC', now()) - attempted_at)::float8 FROM " +
                                            qualified(prefix, "oban_jobs") + executing_longer_than_where() +
                                            " ORDER BY attempted_at LIMIT $2",
                                        seconds, limit)) {
    jobs.push_back({row[0].as<std::int64_t>(), row[1].c_str(), row[2].c_str(), row[3].c_str(), row[4].as<double>()});
  }
  return jobs;
}

std::vector<PeerRow> list_peers(pqxx::transaction_base& tx, const std::string& prefix) {
  std::vector<PeerRow> peers;
  const auto table = qualified(prefix, "oban_peers");
  if (tx.exec_params1("SELECT to_regclass($1)", table)[0].is_null()) return peers;
  for (const auto& row : tx.exec("SELECT name, node, expires_at > timezone('UTC', now()) FROM " + table)) {
    peers.push_back({row[0].c_str(), row[1].c_str(), row[2].as<bool>()});
  }
  return peers;
}

}  // namespace oban::db
