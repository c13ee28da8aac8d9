// rindle-worker status: what the queues hold and who works them, read-only. Per queue and
// state the job counts and the oldest available job's age; the jobs executing for longer
// than the Lifeline's rescue time; the nodes seen (oban_peers, and Sonar pings and gossip
// checks heard during a short listen). --json prints one JSON object for scripts.
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>
#include <utility>

#include "cli/commands.hpp"
#include "cli/parse_options.hpp"
#include "oban/core/clock.hpp"
#include "oban/core/value.hpp"
#include "oban/db/connection.hpp"
#include "oban/db/identifiers.hpp"
#include "oban/db/maintenance_store.hpp"
#include "oban/db/notification.hpp"
#include "oban/db/schema.hpp"
#include "oban/db/status_store.hpp"
#include "oban/json/json_value.hpp"
#include "rindle/mux_sync_coordinator.hpp"
#include "rindle/mux_sync_provider_asset.hpp"

namespace po = boost::program_options;
using oban::Value;

namespace cli {
namespace {

constexpr double kMaxListenSeconds = 60;

// The report is built section by section: each adds its key to the JSON object (--json) or
// prints its text. A further section is one more call in status_command's list.
class StatusOutput {
 public:
  explicit StatusOutput(bool json) : json_(json) {}
  void section(const std::string& key, Value value, const std::string& text) {
    if (json_) {
      out_[key] = std::move(value);
    } else {
      std::cout << text;
    }
  }
  void finish() {
    if (json_) std::cout << oban::json::write(out_) << "\n";
  }
  bool json() const { return json_; }

 private:
  bool json_;
  Value::Object out_;
};

std::string age_text(double seconds) {
  const auto s = static_cast<long long>(seconds);
  char text[64];
  if (s < 60) {
    std::snprintf(text, sizeof text, "%llds", s);
  } else if (s < 3600) {
    std::snprintf(text, sizeof text, "%lldm %llds", s / 60, s % 60);
  } else if (s < 86400) {
    std::snprintf(text, sizeof text, "%lldh %lldm", s / 3600, (s % 3600) / 60);
  } else {
    std::snprintf(text, sizeof text, "%lldd %lldh", s / 86400, (s % 86400) / 3600);
  }
  return text;
}

std::string pad(const std::string& text, std::size_t width) {
  return text.size() >= width ? text + " " : text + std::string(width - text.size(), ' ');
}

// Counts per queue and state, and the oldest available job's age per queue.
void queue_section(StatusOutput& out, pqxx::read_transaction& tx, const std::string& prefix) {
  const auto counts = oban::db::count_jobs(tx, prefix);
  const auto oldest = oban::db::oldest_available_age(tx, prefix);
  const std::vector<std::string> states{"available", "scheduled", "executing", "retryable",
                                        "completed", "discarded", "cancelled", "suspended"};
  Value::Object json;
  std::ostringstream text;
  std::size_t width = 8;
  for (const auto& [queue, by_state] : counts) width = std::max(width, queue.size() + 2);
  text << "\n" << pad("queue", width);
  for (const auto& state : states) text << pad(state, 11);
  text << "oldest available\n";
  for (const auto& [queue, by_state] : counts) {
    Value::Object state_counts;
    text << pad(queue, width);
    for (const auto& state : states) {
      const auto found = by_state.find(state);
      const long long count = found == by_state.end() ? 0 : found->second;
      state_counts[state] = count;
      text << pad(std::to_string(count), 11);
    }
    Value::Object entry{{"states", std::move(state_counts)}};
    if (const auto age = oldest.find(queue); age != oldest.end()) {
      entry["oldest_available_age_s"] = age->second;
      text << age_text(age->second);
    } else {
      entry["oldest_available_age_s"] = nullptr;
      text << "-";
    }
    text << "\n";
    json[queue] = std::move(entry);
  }
  if (counts.empty()) text << "(no jobs)\n";
  out.section("queues", std::move(json), text.str());
}

// Jobs executing for longer than the Lifeline's rescue_after: orphans of a dead node, or
// jobs far slower than planned.
void executing_section(StatusOutput& out, pqxx::read_transaction& tx, const std::string& prefix, double rescue_after) {
  constexpr int kListed = 20;
  const auto total = oban::db::count_executing_longer_than(tx, prefix, rescue_after);
  Value::Array listed;
  std::ostringstream text;
  text << "\nExecuting longer than " << age_text(rescue_after) << " (the Lifeline's rescue_after): " << total << "\n";
  for (const auto& job : oban::db::executing_longer_than(tx, prefix, rescue_after, kListed)) {
    listed.push_back(Value::Object{{"id", job.id},
                                   {"queue", job.queue},
                                   {"worker", job.worker},
                                   {"node", job.node},
                                   {"executing_s", job.executing_s}});
    text << "  id " << job.id << "  " << job.queue << "  " << job.worker << "  on " << job.node << "  for "
         << age_text(job.executing_s) << "\n";
  }
  if (total > kListed) text << "  ... and " << (total - kListed) << " more\n";
  out.section("executing_past_rescue",
              Value::Object{{"rescue_after_s", rescue_after}, {"count", total}, {"jobs", std::move(listed)}}, text.str());
}

struct SeenNode {
  Value::Array peers;   // oban_peers rows naming it
  bool sonar = false;   // its ping was heard
  Value::Array queues;  // its gossip checks
};

class Listener final : public pqxx::notification_receiver {
 public:
  Listener(pqxx::connection_base& conn, const std::string& prefix, std::string name, std::map<std::string, SeenNode>& seen)
      : pqxx::notification_receiver(conn, oban::db::channel(prefix, name)), name_(std::move(name)), seen_(seen) {}
  void operator()(const std::string& payload, int) override {
    try {
      const auto message = oban::json::parse(oban::db::decode_payload(payload));
      if (name_ == "sonar") {
        if (const auto* node = message.find("node"); node && node->if_string()) seen_[*node->if_string()].sonar = true;
        return;
      }
      const auto* checks = message.find("checks");
      if (!checks || !checks->if_array()) return;
      for (const auto& check : *checks->if_array()) {
        const auto* node = check.find("node");
        if (!node || !node->if_string()) continue;
        auto& queues = seen_[*node->if_string()].queues;
        // A node gossips every 750 ms: keep its latest check per queue.
        const auto* queue = check.find("queue");
        queues.erase(std::remove_if(queues.begin(), queues.end(),
                                    [&](const Value& known) { return queue && known.find("queue") && *known.find("queue") == *queue; }),
                     queues.end());
        Value::Object summary;
        for (const char* key : {"queue", "limit", "paused", "running"}) {
          if (const auto* value = check.find(key)) summary[key] = *value;
        }
        queues.push_back(std::move(summary));
      }
    } catch (const std::exception&) {
      // Not Oban's: nothing to show.
    }
  }

 private:
  std::string name_;
  std::map<std::string, SeenNode>& seen_;
};

// oban_peers rows, then whatever pings and checks arrive within `listen_seconds`.
void nodes_section(StatusOutput& out, pqxx::connection& conn, const std::string& prefix, double listen_seconds) {
  std::map<std::string, SeenNode> seen;
  {
    pqxx::read_transaction tx{conn};
    for (const auto& peer : oban::db::list_peers(tx, prefix)) {
      seen[peer.node].peers.push_back(Value::Object{{"name", peer.name}, {"leader", peer.live}});
    }
  }
  {
    Listener sonar{conn, prefix, "sonar", seen};
    Listener gossip{conn, prefix, "gossip", seen};
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds{static_cast<long>(listen_seconds * 1000)};
    for (auto now = std::chrono::steady_clock::now(); now < deadline; now = std::chrono::steady_clock::now()) {
      const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - now).count();
      conn.await_notification(static_cast<long>(left / 1000000), static_cast<long>(left % 1000000));
    }
  }
  Value::Array json;
  std::ostringstream text;
  text << "\nNodes (oban_peers, and " << listen_seconds << " s of Sonar pings and gossip):\n";
  for (const auto& [node, info] : seen) {
    json.push_back(Value::Object{{"node", node}, {"peers", info.peers}, {"sonar", info.sonar}, {"queues", info.queues}});
    text << "  " << node;
    for (const auto& peer : info.peers) {
      text << "  peer " << *peer.find("name")->if_string() << (*peer.find("leader")->if_bool() ? " (leader)" : "");
    }
    if (info.sonar) text << "  sonar";
    for (const auto& queue : info.queues) {
      const auto field = [&](const char* key) { return queue.find(key) ? oban::json::write(*queue.find(key)) : "?"; };
      const auto* running = queue.find("running");
      const auto* paused = queue.find("paused");
      text << "  " << field("queue") << " limit " << field("limit") << " running "
           << (running && running->if_array() ? running->if_array()->size() : 0)
           << (paused && *paused == Value{true} ? " paused" : "");
    }
    text << "\n";
  }
  if (seen.empty()) text << "  (none seen)\n";
  out.section("nodes", std::move(json), text.str());
}

// Rindle's jobs that a node without Rindle's workers failed as `unknown worker` in the last
// 24 hours (rows whose latest attempt that node failed), per worker and node: the jobs an
// Elixir node eats when it serves rindle_provider without the modules.
void unknown_worker_section(StatusOutput& out, pqxx::connection& conn, const std::string& prefix) {
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
  Value::Array json;
  std::ostringstream text;
  text << "\nunknown-worker failures (last 24 h, by the node that failed them):\n";
  if (groups.empty()) text << "(none)\n";
  if (!groups.empty()) {
    text << pad("worker", 40) << pad("node", 28) << pad("jobs", 8) << "latest attempt\n";
  }
  for (const auto& [key, group] : groups) {
    json.push_back(Value::Object{{"worker", key.first},
                                 {"node", key.second},
                                 {"jobs", group.jobs},
                                 {"latest_attempt", oban::format_iso8601(group.latest)}});
    text << pad(key.first, 40) << pad(key.second.empty() ? "(none)" : key.second, 28)
         << pad(std::to_string(group.jobs), 8) << oban::format_sql_timestamp(group.latest) << "\n";
  }
  if (failures.size() >= static_cast<std::size_t>(kMostRows)) text << "(the first " << kMostRows << " only)\n";
  if (!groups.empty()) {
    text << "A node without these workers serves their queue and spends their attempts. Keep the Elixir modules "
            "until no Elixir node serves the queue, or move the C++ workers to a queue no Elixir node runs "
            "(README: Running beside Elixir).\n";
  }
  out.section("unknown_worker_failures", std::move(json), text.str());
}

}  // namespace

int status_command(const Args& args) {
  po::options_description options{"rindle-worker status: queues, stuck jobs and nodes (read-only)"};
  options.add_options()
      ("help,h", "show this help")
      ("prefix", po::value<std::string>()->default_value(env_or("OBAN_PREFIX", "public")),
       "schema holding oban_jobs (env OBAN_PREFIX)")
      ("rescue-after", po::value<double>()->default_value(3600),
       "seconds after which an executing job counts as stuck (the Lifeline's rescue_after)")
      ("listen", po::value<double>()->default_value(2),
       "seconds to listen for Sonar pings and gossip checks (0..60; gossip comes every 750 ms)")
      ("json", po::bool_switch()->default_value(false), "print one JSON object instead of tables");
  const auto parsed = parse_options(args, options);
  if (!parsed) return 0;
  const auto& vars = *parsed;
  const auto prefix = vars["prefix"].as<std::string>();
  const double rescue_after = vars["rescue-after"].as<double>();
  const double listen = vars["listen"].as<double>();
  if (rescue_after <= 0) throw std::invalid_argument("--rescue-after must be positive");
  if (listen < 0 || listen > kMaxListenSeconds) throw std::invalid_argument("--listen must be between 0 and 60 seconds");

  StatusOutput out{vars["json"].as<bool>()};
  auto conn = oban::db::connect(database_url_from_env());
  const int version = oban::db::schema_version(*conn, prefix);
  std::ostringstream header;
  header << "Oban schema version in " << oban::db::quote_ident(prefix) << ": " << version
         << (version == oban::db::kCurrentSchemaVersion ? " (current)" : "") << "\n";
  out.section("prefix", prefix, "");
  out.section("schema_version", version, header.str());
  if (version > 0) {
    {
      pqxx::read_transaction tx{*conn};
      queue_section(out, tx, prefix);
      executing_section(out, tx, prefix, rescue_after);
    }
    nodes_section(out, *conn, prefix, listen);
    unknown_worker_section(out, *conn, prefix);
    // Further sections go here, each one call that adds itself to `out`.
  }
  out.finish();
  return 0;
}

}  // namespace cli
