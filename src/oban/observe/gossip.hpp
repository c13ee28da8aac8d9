#pragma once
// oban_met's Examiner, the sending half (oban_met 1.3.0, lib/oban/met/examiner.ex): every
// 750 ms each node sends `{"checks":[...]}` on "<prefix>.oban_gossip", one check per local
// producer, the fields of Oban's check_queue/1 (what Oban Web shows for the node: its
// queues, local limits, paused state and running job ids). Nothing is sent while the node
// has no producers. Payloads are encoded as Oban encodes every notification (over 512
// bytes: "Z:" + base64 gzip). Receiving other nodes' checks is Oban Web's business, not ours.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "oban/core/value.hpp"
#include "oban/db/connection.hpp"
#include "oban/plugins/plugin.hpp"
#include "oban/queue/producer.hpp"

namespace oban::observe {

struct GossipConfig {
  std::string prefix = "public";               // channel "<prefix>.oban_gossip"
  std::string name = "Oban";                   // the Oban instance name the checks carry
  std::chrono::milliseconds interval{750};     // the Examiner's interval
};

// One check as oban_met sends it: limit, name, node, paused, queue, refresh_interval,
// running, shutdown_started_at, started_at, updated_at, uuid, and local_only: true after a
// local-only scale. Times are ISO 8601 UTC with microseconds.
Value gossip_check(const queue::ProducerCheck& check, const std::string& name);

class Gossip final : public plugins::Plugin {
 public:
  using CheckSource = std::function<std::vector<queue::ProducerCheck>()>;

  Gossip(db::ConnectionPool& pool, GossipConfig config, CheckSource checks);

  // The payload one run sends, or empty when there is nothing to send.
  std::string payload() const;

  std::string name() const override { return "Oban.Met.Examiner"; }
  // Sends the checks; {"checks": n} (and "error" when sending failed: the next run tries again).
  plugins::PluginReport run() override;
  std::chrono::milliseconds next_delay() const override { return config_.interval; }
  std::chrono::milliseconds first_delay() const override { return std::chrono::milliseconds{0}; }
  bool leader_only() const override { return false; }
  telemetry::Level report_level() const override { return telemetry::Level::debug; }

 private:
  db::ConnectionPool& pool_;
  const GossipConfig config_;
  const CheckSource checks_;
};

}  // namespace oban::observe
