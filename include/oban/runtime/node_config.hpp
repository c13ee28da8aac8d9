#pragma once
// Everything a node is configured with. Each field: meaning and default.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oban/plugins/cron_entry.hpp"

namespace oban {


struct NodeConfig {
  std::string dsn;                                   // libpq DSN or URL (DATABASE_URL)
  std::string prefix = "public";                     // schema holding oban_jobs
  std::string node;                                  // node name in attempted_by/oban_peers; default host-pid
  std::map<std::string, int> queues;                 // queue -> limit (concurrent jobs)
  std::chrono::milliseconds poll_interval{1000};     // fetch at least this often without notifications
  bool notifications = true;                         // LISTEN for insert/signal/leader
  bool only_registered_workers = true;               // fetch only jobs whose worker is registered here
  std::chrono::milliseconds shutdown_grace{15000};   // time running jobs get to finish on stop
  std::chrono::milliseconds stage_interval{1000};    // stager tick
  std::chrono::milliseconds ack_batch_window{2};     // how long the completer gathers acks
  std::size_t pool_size = 0;                         // DB connections; 0 = derived from queues

  // Cluster duties (leader only).
  std::string peer_name = "oban-cpp";                // oban_peers name; "Oban" joins the Elixir election
  bool leadership = true;                            // take part in leader election at all
  std::vector<plugins::CronEntry> crontab;                    // cron entries this node's leader inserts
  std::string cron_timezone = "Etc/UTC";             // zone cron expressions are evaluated in
  bool pruner = true;                                // prune finished jobs
  std::chrono::seconds prune_max_age{60};            // Pruner max_age
  int prune_limit = 10000;                           // Pruner limit per run
  std::chrono::milliseconds prune_interval{30000};   // Pruner interval
  bool lifeline = true;                              // rescue orphaned executing jobs
  std::chrono::milliseconds rescue_after{60 * 60 * 1000};  // Lifeline rescue_after
  std::chrono::milliseconds rescue_interval{60000};  // Lifeline interval

  // Failure handling (the engine): every database wait and the shutdown have a bound.
  std::chrono::milliseconds shutdown_hard_deadline{5000};  // after the grace, performs asked to stop get this
                                                           // long; then their rows are released and stop() returns
  std::chrono::seconds db_connect_timeout{10};             // libpq connect_timeout for every connection
  std::chrono::milliseconds db_tcp_user_timeout{30000};    // TCP: unacknowledged data this long drops the connection
  std::chrono::milliseconds db_acquire_timeout{5000};      // longest wait for a free pooled connection
  std::chrono::milliseconds db_statement_timeout{15000};   // statement_timeout on pooled connections; 0 = none
  std::chrono::milliseconds ack_retry_max{5000};           // longest backoff between retries of an ack not yet written

  // Every problem with this config, empty when valid.
  std::vector<std::string> validate() const;
};

}  // namespace oban
