#include "oban/observe/gossip.hpp"

#include "oban/core/timestamp.hpp"
#include "oban/db/notification.hpp"
#include "oban/json/json_value.hpp"

namespace oban::observe {

Value gossip_check(const queue::ProducerCheck& check, const std::string& name) {
  Value::Object out{{"limit", check.limit},
                    {"name", name},
                    {"node", check.node},
                    {"paused", check.paused},
                    {"queue", check.queue},
                    {"refresh_interval", check.refresh_interval.count()},
                    {"running", check.running},
                    {"shutdown_started_at", nullptr},
                    {"started_at", format_iso8601(check.started_at)},
                    {"updated_at", format_iso8601(check.updated_at)},
                    {"uuid", check.uuid}};
  if (check.shutdown_started_at) out["shutdown_started_at"] = format_iso8601(*check.shutdown_started_at);
  // Oban keeps a signal's extra keys in the producer's meta; the recorded one is local_only.
  if (check.local_only) out["local_only"] = true;
  return out;
}

Gossip::Gossip(db::ConnectionPool& pool, GossipConfig config, CheckSource checks)
    : pool_(pool), config_(std::move(config)), checks_(std::move(checks)) {}

namespace {

// {"checks":[...]} and how many checks it holds; empty text when there are none.
std::pair<std::string, std::size_t> encode_checks(const std::vector<queue::ProducerCheck>& checks,
                                                  const std::string& name) {
  Value::Array encoded;
  for (const auto& check : checks) encoded.push_back(gossip_check(check, name));
  if (encoded.empty()) return {{}, 0};
  const auto count = encoded.size();
  return {json::write(Value::Object{{"checks", std::move(encoded)}}), count};
}

}  // namespace

std::string Gossip::payload() const { return encode_checks(checks_(), config_.name).first; }

plugins::PluginReport Gossip::run() {
  const auto [json, count] = encode_checks(checks_(), config_.name);
  if (count == 0) return {{"checks", 0}};
  plugins::PluginReport report{{"checks", count}, {"bytes", json.size()}};
  try {
    db::notify(pool_, config_.prefix, "gossip", {json});
    report["sent"] = true;
  } catch (const std::exception& error) {
    // Oban Web forgets a node's checks after 30 s without gossip; the next run retries.
    report["sent"] = false;
    report["error"] = db::redact_dsn(error.what());
  }
  return report;
}

}  // namespace oban::observe
