// rindle-worker status [--prefix P]: schema version and job counts per queue and state.
#include <boost/program_options.hpp>
#include <iomanip>
#include <iostream>
#include <map>
#include <utility>

#include "cli/commands.hpp"
#include "cli/parse_options.hpp"
#include "oban/core/clock.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/maintenance_store.hpp"
#include "oban/db/schema.hpp"
#include "rindle/mux_sync_coordinator.hpp"
#include "rindle/mux_sync_provider_asset.hpp"

namespace po = boost::program_options;

namespace cli {

void print_unknown_worker_failures(pqxx::connection& conn, const std::string& prefix, std::ostream& out);

int status_command(const Args& args) {
  po::options_description options{"rindle-worker status: schema version and job counts"};
  options.add_options()
      ("help,h", "show this help")
      ("prefix", po::value<std::string>()->default_value(env_or("OBAN_PREFIX", "public")),
       "schema holding oban_jobs (env OBAN_PREFIX)");
  const auto parsed = parse_options(args, options);
  if (!parsed) return 0;
  const auto& vars = *parsed;
  const auto prefix = vars["prefix"].as<std::string>();
  auto conn = oban::db::connect(database_url_from_env());
  const int version = oban::db::schema_version(*conn, prefix);
  std::cout << "Oban schema version in " << oban::db::quote_ident(prefix) << ": " << version
            << (version == oban::db::kCurrentSchemaVersion ? " (current)" : "") << "\n";
  if (version == 0) return 0;
  pqxx::read_transaction tx{*conn};
  auto rows = tx.exec("SELECT queue, state::text, count(*) FROM " + oban::db::qualified(prefix, "oban_jobs") +
                      " GROUP BY 1, 2 ORDER BY 1, 2");
  std::cout << std::left << std::setw(24) << "queue" << std::setw(12) << "state" << "jobs\n";
  for (const auto& row : rows) {
    std::cout << std::setw(24) << row[0].c_str() << std::setw(12) << row[1].c_str() << row[2].c_str() << "\n";
  }
  if (rows.empty()) std::cout << "(no jobs)\n";
  tx.commit();
  print_unknown_worker_failures(*conn, prefix, std::cout);
  return 0;
}

// Rindle's jobs that a node without Rindle's workers failed as `unknown worker` in the last
// 24 hours (rows whose latest attempt that node failed), per worker and node: the jobs an
// Elixir node eats when it serves rindle_provider without the modules.
void print_unknown_worker_failures(pqxx::connection& conn, const std::string& prefix, std::ostream& out) {
  constexpr std::int64_t kMostRows = 100000;
  const auto since = oban::SystemClock::instance().now() - std::chrono::hours{24};
  std::vector<oban::db::UnknownWorkerFailure> failures;
  {
    pqxx::read_transaction tx{conn};
    failures = oban::db::unknown_worker_failures(
        tx, prefix, {rindle::kCoordinatorWorker, rindle::kProviderAssetWorker}, "", since, kMostRows);
  }
  struct Group {
    long jobs = 0;
    oban::Timestamp latest{};
  };
  std::map<std::pair<std::string, std::string>, Group> groups;  // (worker, node)
  for (const auto& failure : failures) {
    auto& group = groups[{failure.worker, failure.node}];
    ++group.jobs;
    group.latest = std::max(group.latest, failure.attempted_at);
  }
  out << "\nunknown-worker failures (last 24 h, by the node that failed them):\n";
  if (groups.empty()) {
    out << "(none)\n";
    return;
  }
  out << std::left << std::setw(40) << "worker" << std::setw(28) << "node" << std::setw(8) << "jobs" << "latest attempt\n";
  for (const auto& [key, group] : groups) {
    out << std::setw(40) << key.first << std::setw(28) << (key.second.empty() ? "(none)" : key.second) << std::setw(8)
        << group.jobs << oban::format_sql_timestamp(group.latest) << "\n";
  }
  if (failures.size() >= static_cast<std::size_t>(kMostRows)) out << "(the first " << kMostRows << " only)\n";
  out << "A node without these workers serves their queue and spends their attempts. Keep the Elixir modules "
         "until no Elixir node serves the queue, or move the C++ workers to a queue no Elixir node runs "
         "(README: Running beside Elixir).\n";
}

}  // namespace cli
