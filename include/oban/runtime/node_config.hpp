#pragma once
// Everything a node is configured with. Each field: meaning and default.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oban/core/value.hpp"
#include "oban/notify/notifier_options.hpp"
#include "oban/plugins/cron_entry.hpp"

namespace oban {

// The election name of Elixir's Oban instances: a node using it joins their election.
inline constexpr const char* kElixirPeerName = "Oban";

struct NodeConfig {
  std::string dsn{};                                 // libpq DSN or URL (DATABASE_URL)
  std::string prefix = "public";                     // schema holding oban_jobs
  std::string node{};                                // node name in attempted_by/oban_peers; default host-pid
  std::map<std::string, int> queues{};               // queue -> limit (concurrent jobs)
  std::chrono::milliseconds poll_interval{1000};     // fetch at least this often without notifications
  std::chrono::milliseconds dispatch_cooldown{5};    // Oban's: while jobs wait, a fetch of less than half the
                                                     // limit waits this long after the last fetch; 0 = never
  bool notifications = true;                         // LISTEN for insert/signal/leader
  notify::NotifierOptions notifier{};                // the LISTEN connection's timeouts and pings
  bool only_registered_workers = true;               // fetch only jobs whose worker is registered here
  std::chrono::milliseconds shutdown_grace{15000};   // time running jobs get to finish on stop
  std::chrono::milliseconds stage_interval{1000};    // stager tick
  std::chrono::milliseconds ack_batch_window{2};     // how long the completer gathers acks
  std::size_t pool_size = 0;                         // DB connections; 0 = derived from queues

  // Cluster duties (leader only). Scope: joined as "Oban" (peer_name kElixirPeerName) the
  // Pruner and Lifeline act on the whole table, as the Elixir leader's would; under any
  // other election name only on the jobs of the workers registered on this node, since the
  // rest is the Elixir leader's business.
  std::string peer_name = "oban-cpp";                // oban_peers name; "Oban" joins the Elixir election
  bool leadership = true;                            // take part in leader election at all
  std::vector<plugins::CronEntry> crontab{};         // cron entries this node's leader inserts
  std::string cron_timezone = "Etc/UTC";             // zone cron expressions are evaluated in
  // How long after a minute's boundary cron evaluates it, so that an Elixir crontab listing
  // the same entry inserts first and is found by the same-minute check (plugins::Cron
  // explains the 5 s).
  std::chrono::milliseconds cron_delay{5000};
  // Pruner on/off; unset = off under both names. Under this node's own name the Elixir
  // leader prunes (its Pruner covers the C++ workers' jobs too). Joined as "Oban", only the
  // operator knows whether the Elixir side prunes at all (Oban starts no Pruner by default)
  // and with which max_age, so the node prunes only when told to.
  std::optional<bool> pruner{};
  std::chrono::seconds prune_max_age{60};            // Pruner max_age (Oban's default)
  int prune_limit = 10000;                           // Pruner limit per run (Oban's default)
  std::chrono::milliseconds prune_interval{30000};   // Pruner interval (Oban's default)
  // Lifeline on/off; unset = on under this node's own name (its own workers' orphans: if a
  // C++ node dies nobody else may rescue them, since Oban starts no Lifeline by default),
  // off joined as "Oban" (the whole table: the Elixir team's rescue_after is theirs to give).
  std::optional<bool> lifeline{};
  std::chrono::milliseconds rescue_after{60 * 60 * 1000};  // Lifeline rescue_after (Oban's default)
  std::chrono::milliseconds rescue_interval{60000};  // Lifeline interval (Oban's default)
  // Warn when other nodes fail this node's workers' jobs as `unknown worker` (every node,
  // leader or not; plugins::UnknownWorkerWatch).
  bool unknown_worker_watch = true;

  bool joins_elixir_election() const { return peer_name == kElixirPeerName; }
  bool pruner_enabled() const { return pruner.value_or(false); }
  bool lifeline_enabled() const { return lifeline.value_or(!joins_elixir_election()); }

  // Visibility to Elixir nodes and Oban Web.
  bool sonar = true;                                 // Sonar pings and connectivity status (needs notifications)
  std::chrono::milliseconds sonar_min_interval{5000};   // Oban's Sonar: first and shortest ping interval
  std::chrono::milliseconds sonar_max_interval{60000};  // ... and longest
  bool gossip = true;                                // oban_met producer checks on `gossip`, for Oban Web
  std::chrono::milliseconds gossip_interval{750};    // oban_met's Examiner interval

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

// The effective plugin settings and the rows each plugin may touch, as the "node:plugins"
// event reports them at start. `workers` are the workers registered on the node.
Value::Object plugin_settings(const NodeConfig& config, const std::vector<std::string>& workers);

}  // namespace oban
