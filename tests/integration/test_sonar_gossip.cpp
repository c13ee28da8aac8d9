// What the node sends on the sonar and gossip channels, compared key by key and type by
// type with what a real Oban 2.23.1 node and oban_met 1.3.0 sent (fixtures sonar.jsonl,
// gossip.jsonl, telemetry-log.jsonl), and the connectivity and stager mode changes it logs.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine_test_helpers.hpp"
#include "observe_test_helpers.hpp"
#include "oban/observe/sonar.hpp"
#include "oban/queue/producer.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"

using namespace observe_test;
using namespace std::chrono_literals;

namespace {

const std::set<std::string> kLogExtras{"level", "time", "node"};

oban::NodeConfig node_config(test_support::TestSchema& schema, const std::string& node,
                             std::map<std::string, int> queues) {
  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = node;
  config.queues = std::move(queues);
  config.shutdown_grace = 200ms;
  config.stage_interval = 200ms;
  config.sonar_min_interval = 200ms;  // Oban's 5 s and 60 s, scaled down
  config.sonar_max_interval = 2s;
  config.gossip_interval = 200ms;
  config.crontab.clear();
  return config;
}

std::int64_t insert_job(oban::Node& node, const std::string& queue, const std::string& args) {
  oban::NewJob job;
  job.worker = "Rec.Worker";
  job.queue = queue;
  job.args = args;
  job.max_attempts = 3;
  return oban::internals(node).inserter().insert(job).job.id;
}

// The recorded log line for `event` whose `key` is `value` (e.g. connectivity_status).
Value recorded_log_line(const std::string& event, const char* key, const std::string& value) {
  for (const auto& line : fixture_lines("telemetry-log.jsonl")) {
    if (text(line, "event") == event && text(line, key) == value) return line;
  }
  throw std::runtime_error("no recorded " + event + " with " + key + " " + value);
}

// Every recorded gossip check, from both runs.
std::vector<Value> recorded_checks() {
  std::vector<Value> checks;
  for (const auto& line : fixture_lines("gossip.jsonl")) {
    const auto payload = recorded_payload(line);
    for (const auto& check : *payload.find("checks")->if_array()) checks.push_back(check);
  }
  return checks;
}

// The first recorded check that `matches`.
Value recorded_check(const std::function<bool(const Value&)>& matches) {
  for (const auto& check : recorded_checks()) {
    if (matches(check)) return check;
  }
  throw std::runtime_error("no such recorded check");
}

bool running_nonempty(const Value& check) { return !check.find("running")->if_array()->empty(); }
bool is_true(const Value& check, const char* key) { return check.find(key) && *check.find(key) == Value{true}; }

// The check for `queue` in a gossip message, or null.
Value check_for(const Value& message, const std::string& queue) {
  const auto* checks = message.find("checks");
  if (!checks || !checks->if_array()) return {};
  for (const auto& check : *checks->if_array()) {
    if (text(check, "queue") == queue) return check;
  }
  return {};
}

std::vector<std::int64_t> running_ids(const Value& check) {
  std::vector<std::int64_t> ids;
  if (const auto* running = check.find("running"); running && running->if_array()) {
    for (const auto& id : *running->if_array()) ids.push_back(*id.if_integer());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

TEST_CASE("the recorded compressed payloads decode to what the recording says", "[gossip]") {
  int compressed = 0;
  for (const auto& line : fixture_lines("gossip.jsonl")) {
    const auto raw = text(line, "payload");
    const auto decoded = oban::json::parse(oban::db::decode_payload(raw));
    CHECK(decoded == recorded_payload(line));
    if (raw.starts_with("Z:")) ++compressed;
  }
  CHECK(compressed > 0);
}

TEST_CASE("Sonar pings carry exactly Oban's fields, and the status and stager mode follow who is heard", "[sonar]") {
  test_support::TestSchema schema{"sonar"};
  LogCapture log;
  ChannelListener pings{schema.dsn(), schema.prefix(), "sonar"};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<RecWorker>("alpha"));

  // A follower alone first (as the recording's rec-b: no leadership), then a leader joins.
  auto follower_config = node_config(schema, "cpp-follower", {{"alpha", 2}});
  follower_config.leadership = false;
  oban::Node follower{follower_config, registry};
  follower.start();
  REQUIRE(eventually([&] { return !log.events("stager:switch", "cpp-follower").empty(); }, 10s));
  CHECK(oban::internals(follower).sonar()->status() == oban::core::Connectivity::solitary);
  CHECK(oban::internals(follower).stager().local_mode());

  oban::Node leader{node_config(schema, "cpp-leader", {{"alpha", 2}}), registry};
  leader.start();
  REQUIRE(eventually(
      [&] { return oban::internals(leader).sonar()->status() == oban::core::Connectivity::clustered; }, 10s));
  REQUIRE(eventually(
      [&] { return oban::internals(follower).sonar()->status() == oban::core::Connectivity::clustered; }, 10s));
  REQUIRE(eventually([&] { return log.events("stager:switch", "cpp-follower").size() >= 2; }, 10s));
  CHECK_FALSE(oban::internals(follower).stager().local_mode());
  CHECK(oban::internals(leader).sonar()->nodes() == std::vector<std::string>{"cpp-follower", "cpp-leader"});
  leader.stop();
  follower.stop();

  {  // each ping is {"node":..,"ping":true}, plain, with the recorded keys and types
    const auto recorded = fixture_lines("sonar.jsonl");
    REQUIRE_FALSE(recorded.empty());
    std::set<std::string> senders;
    for (const auto& message : pings.messages()) {
      const auto node = text(message.decoded, "node");
      senders.insert(node);
      CHECK(message.raw == R"({"node":")" + node + R"(","ping":true})");
      for (const auto& line : recorded) {
        INFO("ours " << message.raw << " recorded " << text(line, "payload"));
        CHECK(shape_differences(message.decoded, recorded_payload(line)).empty());
      }
    }
    CHECK(senders == std::set<std::string>{"cpp-follower", "cpp-leader"});
  }

  {  // the follower logs what rec-b logged: solitary, local staging, clustered, global staging
    std::vector<std::string> sequence;
    for (const auto& line : log.parsed()) {
      const auto event = text(line, "event");
      if (text(line, "node") != "cpp-follower") continue;
      if (event == "notifier:switch") sequence.push_back(text(line, "connectivity_status"));
      if (event == "stager:switch") sequence.push_back(text(line, "mode"));
    }
    CHECK(sequence == std::vector<std::string>{"solitary", "local", "clustered", "global"});
  }

  {  // every notifier:switch and stager:switch line has the recorded keys, types and message
    int compared = 0;
    for (const auto& line : log.parsed()) {
      const auto event = text(line, "event");
      if (event != "notifier:switch" && event != "stager:switch") continue;
      const auto recorded = event == "notifier:switch"
                                ? recorded_log_line(event, "connectivity_status", text(line, "connectivity_status"))
                                : recorded_log_line(event, "mode", text(line, "mode"));
      INFO(oban::json::write(line));
      CHECK(joined(shape_differences(line, recorded, kLogExtras)) == "");
      CHECK(text(line, "message") == text(recorded, "message"));
      CHECK(text(line, "source") == "oban");
      ++compared;
    }
    CHECK(compared >= 5);  // the follower's four, and the leader's clustered at least
  }
}

TEST_CASE("gossip checks carry the recorded fields: running jobs, a paused queue, a local-only scale", "[gossip]") {
  test_support::TestSchema schema{"gossip"};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<RecWorker>("alpha"));
  ChannelListener gossip{schema.dsn(), schema.prefix(), "gossip"};
  // rec-a's queues: alpha 3 (running long jobs), beta 5 (paused), gamma 10.
  oban::Node node{node_config(schema, "cpp-gossip", {{"alpha", 3}, {"beta", 5}, {"gamma", 10}}), registry};
  node.start();
  REQUIRE(eventually([&] { return oban::internals(node).notifier()->connected(); }, 10s));
  std::vector<std::int64_t> sleepers;
  for (int i = 0; i < 3; ++i) sleepers.push_back(insert_job(node, "alpha", R"({"action":"sleep","sleep":30000})"));
  std::sort(sleepers.begin(), sleepers.end());
  // Oban Web's pause button: Oban.pause_queue(queue: :beta) on any node.
  engine_test::send_notification(schema, "signal", R"(["{\"action\":\"pause\",\"ident\":\"any\",\"queue\":\"beta\"}"])");

  const auto settled = [&](const ChannelListener::Message& m) {
    return running_ids(check_for(m.decoded, "alpha")) == sleepers && is_true(check_for(m.decoded, "beta"), "paused");
  };
  REQUIRE(gossip.wait_for(settled, 10s));
  Value message;
  for (const auto& m : gossip.messages()) {
    if (settled(m)) message = m.decoded;
  }

  {  // a queue running jobs and a paused queue match rec-a's checks, key by key and type by type
    const auto running = recorded_check([](const Value& c) { return running_nonempty(c) && !c.find("local_only"); });
    const auto paused = recorded_check([](const Value& c) { return is_true(c, "paused") && !running_nonempty(c); });
    const auto alpha = check_for(message, "alpha");
    const auto beta = check_for(message, "beta");
    const auto gamma = check_for(message, "gamma");
    CHECK(joined(shape_differences(alpha, running)) == "");
    CHECK(joined(shape_differences(beta, paused)) == "");
    CHECK(joined(shape_differences(gamma, recorded_check([](const Value& c) { return !is_true(c, "paused"); }))) == "");
    CHECK(*alpha.find("limit") == Value{3});
    CHECK(*beta.find("limit") == Value{5});
    CHECK(*gamma.find("paused") == Value{false});
    CHECK(text(alpha, "name") == "Oban");
    CHECK(text(alpha, "node") == "cpp-gossip");
    CHECK(*alpha.find("refresh_interval") == *running.find("refresh_interval"));
    CHECK(text(alpha, "uuid") == oban::internals(node).producer("alpha")->uuid());
    CHECK(alpha.find("shutdown_started_at")->is_null());
    CHECK(text(alpha, "started_at").ends_with("Z"));
    CHECK(text(alpha, "started_at").size() == text(running, "started_at").size());  // microseconds, as recorded
  }

  {  // over 512 bytes a payload goes Z: + base64 gzip, as Oban encodes it
    for (const auto& m : gossip.messages()) {
      CHECK(oban::json::write(m.decoded).size() > oban::db::kPlainPayloadLimit);
      CHECK(m.raw.starts_with("Z:"));
    }
  }

  {  // a local-only scale and a resume show in the very next checks
    // Oban.scale_queue(queue: :gamma, limit: 7, local_only: true) and Oban.resume_queue(queue: :beta).
    const auto before = gossip.messages().size();
    engine_test::send_notification(
        schema, "signal",
        R"(["{\"action\":\"scale\",\"ident\":\"Oban.cpp-gossip\",\"limit\":7,\"local_only\":true,\"queue\":\"gamma\"}",)"
        R"("{\"action\":\"resume\",\"ident\":\"any\",\"queue\":\"beta\"}"])");
    REQUIRE(eventually(
        [&] {
          auto& parts = oban::internals(node);
          return parts.producer("gamma")->limit() == 7 && !parts.producer("beta")->paused();
        },
        10s));
    const auto applied = gossip.messages().size();
    const auto reflects = [](const Value& m) {
      return *check_for(m, "gamma").find("limit") == Value{7} && !is_true(check_for(m, "beta"), "paused");
    };
    REQUIRE(gossip.wait_for([&](const auto& m) { return reflects(m.decoded); }, 5s));
    const auto messages = gossip.messages();
    std::size_t first = messages.size();
    for (std::size_t i = before; i < messages.size(); ++i) {
      if (reflects(messages[i].decoded)) {
        first = i;
        break;
      }
    }
    // The check woken by the signal, or at worst the one already being sent when it landed.
    CHECK(first <= applied + 1);
    for (std::size_t i = first; i < messages.size(); ++i) CHECK(reflects(messages[i].decoded));
    const auto gamma = check_for(messages.back().decoded, "gamma");
    CHECK(*gamma.find("local_only") == Value{true});
    CHECK(joined(shape_differences(gamma, recorded_check([](const Value& c) { return is_true(c, "local_only"); }))) ==
          "");
    CHECK_FALSE(check_for(messages.back().decoded, "beta").find("local_only"));
  }
  node.stop();
}

TEST_CASE("gossip through a job cancel and a shutdown, as rec-d sent it", "[gossip]") {
  test_support::TestSchema schema{"gossip_end"};
  oban::WorkerRegistry registry;
  registry.add(std::make_shared<RecWorker>("epsilon"));
  ChannelListener gossip{schema.dsn(), schema.prefix(), "gossip"};
  auto config = node_config(schema, "cpp-epsilon", {{"epsilon", 2}});
  config.leadership = false;  // rec-d ran with plugins: false
  oban::Node node{config, registry};
  node.start();
  REQUIRE(eventually([&] { return oban::internals(node).notifier()->connected(); }, 10s));
  const auto cancelled = insert_job(node, "epsilon", R"({"action":"sleep","sleep":30000})");
  const auto orphaned = insert_job(node, "epsilon", R"({"action":"sleep","sleep":30000})");
  const std::vector<std::int64_t> both{std::min(cancelled, orphaned), std::max(cancelled, orphaned)};
  REQUIRE(gossip.wait_for([&](const auto& m) { return running_ids(check_for(m.decoded, "epsilon")) == both; }, 10s));
  // Oban.cancel_job/1 on a running job: a pkill signal to every node.
  engine_test::send_notification(schema, "signal",
                                 R"(["{\"action\":\"pkill\",\"job_id\":)" + std::to_string(cancelled) + R"(}"])");
  REQUIRE(gossip.wait_for(
      [&](const auto& m) { return running_ids(check_for(m.decoded, "epsilon")) == std::vector{orphaned}; }, 10s));
  node.stop();  // grace 200 ms: the other job is orphaned

  // stop() returns once the last check is sent; the listener hears it a moment later.
  REQUIRE(gossip.wait_for([](const auto& m) { return is_true(check_for(m.decoded, "epsilon"), "paused"); }, 5s));
  const auto messages = gossip.messages();
  REQUIRE_FALSE(messages.empty());
  const auto last = check_for(messages.back().decoded, "epsilon");
  INFO(oban::json::write(last));
  CHECK(*last.find("paused") == Value{true});
  CHECK(text(last, "shutdown_started_at").ends_with("Z"));
  CHECK(running_ids(last) == std::vector{orphaned});
  const auto recorded_last = recorded_check([](const Value& c) { return !c.find("shutdown_started_at")->is_null(); });
  CHECK(joined(shape_differences(last, recorded_last)) == "");
  for (const auto& m : messages) {
    // One short check: plain JSON, as run 3's payloads were.
    CHECK(m.raw.starts_with("{"));
    for (const auto& line : fixture_lines("gossip.jsonl")) {
      const auto recorded = recorded_payload(line);
      if (recorded.find("checks")->if_array()->size() != 1) continue;
      CHECK(joined(shape_differences(m.decoded, recorded)) == "");  // {"checks": [..]} and nothing else
    }
  }
}
