// The pieces of "visible like an Elixir node" that need no database: the Prometheus text
// format, the Sonar's bookkeeping against the recorded ping intervals, the shapes of the
// default logger's lines for Oban's events, and a gossip check's fields.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "oban/core/timestamp.hpp"
#include "oban/json/json_value.hpp"
#include "oban/observe/gossip.hpp"
#include "oban/observe/metrics_registry.hpp"
#include "oban/observe/sonar.hpp"
#include "oban/runtime/default_logger.hpp"

using namespace oban;
using namespace std::chrono_literals;

namespace {

std::vector<Value> fixture(const std::string& file) {
  std::ifstream in{std::string{OBAN_FIXTURES_DIR} + "/" + file};
  REQUIRE(in);
  std::vector<Value> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(json::parse(line));
  }
  return lines;
}

std::string text(const Value& value, const char* key) {
  const auto* member = value.find(key);
  return member && member->if_string() ? *member->if_string() : std::string{};
}

std::set<std::string> keys(const Value& value) {
  std::set<std::string> out;
  for (const auto& [key, member] : *value.if_object()) out.insert(key);
  return out;
}

// Keys and value kinds of `ours` equal those of `theirs`, ignoring `extras` in ours.
void check_shape(const Value& ours, const Value& theirs, const std::set<std::string>& extras = {"level", "time"}) {
  INFO("ours     " << json::write(ours) << "\nrecorded " << json::write(theirs));
  auto our_keys = keys(ours);
  for (const auto& extra : extras) our_keys.erase(extra);
  CHECK(our_keys == keys(theirs));
  for (const auto& [key, value] : *theirs.if_object()) {
    if (const auto* mine = ours.find(key)) {
      INFO(key);
      CHECK(mine->kind() == value.kind());
    }
  }
}

Value recorded_line(const std::string& event, const std::function<bool(const Value&)>& matches) {
  for (const auto& line : fixture("telemetry-log.jsonl")) {
    if (text(line, "event") == event && matches(line)) return line;
  }
  FAIL("nothing recorded for " << event);
  return {};
}

std::chrono::system_clock::time_point parse_time(const std::string& iso) {
  return parse_sql_timestamp(iso);
}

}  // namespace

TEST_CASE("metrics render in the Prometheus text format", "[metrics]") {
  observe::MetricsRegistry registry;
  auto& jobs = registry.counter("oban_jobs_total", "Jobs run", {"queue", "state"});
  auto& backlog = registry.gauge("oban_backlog", "Waiting\nacks");
  auto& duration = registry.histogram("oban_duration_seconds", "Durations", {"queue"}, {0.01, 0.1, 1});
  jobs.add({"media \"hd\"\\x\n", "success"}, 1);
  jobs.add({"media \"hd\"\\x\n", "success"}, 2);
  backlog.set({}, 4);
  for (double seconds : {0.005, 0.05, 0.5, 5.0}) duration.observe({"q"}, seconds);
  int collected = 0;
  registry.add_collector([&] { backlog.set({}, ++collected); });
  const auto out = registry.render();
  CHECK(out == "# HELP oban_jobs_total Jobs run\n"
               "# TYPE oban_jobs_total counter\n"
               "oban_jobs_total{queue=\"media \\\"hd\\\"\\\\x\\n\",state=\"success\"} 3\n"
               "# HELP oban_backlog Waiting\\nacks\n"
               "# TYPE oban_backlog gauge\n"
               "oban_backlog 1\n"
               "# HELP oban_duration_seconds Durations\n"
               "# TYPE oban_duration_seconds histogram\n"
               "oban_duration_seconds_bucket{queue=\"q\",le=\"0.01\"} 1\n"
               "oban_duration_seconds_bucket{queue=\"q\",le=\"0.1\"} 2\n"
               "oban_duration_seconds_bucket{queue=\"q\",le=\"1\"} 3\n"
               "oban_duration_seconds_bucket{queue=\"q\",le=\"+Inf\"} 4\n"
               "oban_duration_seconds_sum{queue=\"q\"} 5.555\n"
               "oban_duration_seconds_count{queue=\"q\"} 4\n");
  CHECK(jobs.value({"media \"hd\"\\x\n", "success"}) == 3);
  CHECK(duration.count({"q"}) == 4);
  CHECK_THROWS_WITH(registry.counter("oban-bad", "x"), Catch::Contains("not a valid Prometheus metric name"));
  CHECK_THROWS_WITH(registry.gauge("oban_backlog", "again"), Catch::Contains("registered twice"));
  CHECK_THROWS_WITH(registry.gauge("oban_x", "x", {"le"}), Catch::Contains("not a valid label name"));
  CHECK_THROWS_WITH(jobs.add({"only one"}, 1), Catch::Contains("takes 2 label values"));
}

TEST_CASE("the Sonar's status and intervals follow Oban's, as rec-a's recorded pings show", "[sonar]") {
  observe::SonarConfig config;  // Oban's 5 s, 60 s, 120 s
  config.node = "rec-a";
  observe::SonarState sonar{config};
  auto now = std::chrono::steady_clock::time_point{} + 1h;

  // rec-a alone: its pings' gaps are the intervals it scheduled (each within Oban's ±10% jitter).
  std::vector<std::chrono::system_clock::time_point> alone;
  for (const auto& line : fixture("sonar.jsonl")) {
    if (json::parse(text(line, "payload")) == Value{Value::Object{{"node", "rec-a"}, {"ping", true}}}) {
      alone.push_back(parse_time(text(line, "captured_at")));
    }
  }
  REQUIRE(alone.size() >= 4);
  // Its first ping decides nothing; it hears its own echo: solitary.
  CHECK(sonar.interval() == 5s);
  CHECK(sonar.heard("rec-a", now) == core::Connectivity::solitary);
  CHECK_FALSE(sonar.heard("rec-a", now).has_value());  // no change, no event
  std::vector<std::chrono::milliseconds> scheduled{sonar.interval()};
  for (int round = 0; round < 2; ++round) {
    now += scheduled.back();
    sonar.heard("rec-a", now);
    scheduled.push_back(sonar.tick(now).interval);
  }
  CHECK(scheduled == std::vector<std::chrono::milliseconds>{5s, 10s, 20s});
  for (std::size_t i = 0; i < 3; ++i) {
    const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(alone[i + 1] - alone[i]);
    INFO("recorded gap " << gap.count() << " ms, scheduled " << scheduled[i].count() << " ms");
    CHECK(std::abs(static_cast<double>(gap.count() - scheduled[i].count())) <= 0.1 * static_cast<double>(scheduled[i].count()));
  }
  // Solitary doubles up to 60 s.
  for (int round = 0; round < 4; ++round) {
    now += 1s;
    sonar.heard("rec-a", now);
    sonar.tick(now);
  }
  CHECK(sonar.interval() == 60s);

  // rec-b's ping arrives: clustered at once (the event), the interval then settles on
  // 5 s x 2 nodes, as both recorded nodes pinged every ~10 s.
  CHECK(sonar.heard("rec-b", now) == core::Connectivity::clustered);
  const auto tick = sonar.tick(now);
  CHECK_FALSE(tick.changed_to.has_value());
  CHECK(tick.interval == 10s);

  // rec-b stops: after 120 s without its pings it is forgotten, and the change resets the
  // interval to 5 s.
  now += 121s;
  sonar.heard("rec-a", now);
  const auto after = sonar.tick(now);
  CHECK(after.changed_to == core::Connectivity::solitary);
  CHECK(after.interval == 5s);
  CHECK(sonar.nodes() == std::vector<std::string>{"rec-a"});

  // Not even our own pings for 120 s: isolated, and the interval stays at 5 s.
  now += 121s;
  CHECK(sonar.tick(now).changed_to == core::Connectivity::isolated);
  CHECK(sonar.tick(now).interval == 5s);
}

TEST_CASE("default logger lines have the recorded shapes of Oban's events", "[logs]") {
  const auto line = [](const std::string& name, Value::Object metadata, Value::Object measurements = {}) {
    telemetry::Event event;
    event.name = name;
    event.metadata = std::move(metadata);
    event.measurements = std::move(measurements);
    const auto text_line = format_json_line(event);
    return text_line.empty() ? Value{} : json::parse(text_line);
  };
  const auto plugin = [](const std::string& name) {
    return [name](const Value& r) { return text(r, "plugin") == name; };
  };

  // Cron's plugin:stop names the inserted jobs' ids and nothing else it reported.
  const auto cron = line("plugin:stop", {{"plugin", "Oban.Plugins.Cron"}, {"jobs", Value::Array{20}}, {"skipped", 0}},
                         {{"duration", 30'319'000}});
  check_shape(cron, recorded_line("plugin:stop", plugin("Oban.Plugins.Cron")));
  CHECK(*cron.find("duration") == Value{30319});  // microseconds
  const auto pruner = line("plugin:stop",
                           {{"plugin", "Oban.Plugins.Pruner"}, {"pruned_count", 6}, {"pruned_jobs", Value::Array{}}},
                           {{"duration", 1'472'000}});
  check_shape(pruner, recorded_line("plugin:stop", plugin("Oban.Plugins.Pruner")));
  // A plugin Oban does not ship prints all it reported.
  const auto own = line("plugin:stop", {{"plugin", "My.Plugin"}, {"done", 3}}, {{"duration", 1000}});
  CHECK(*own.find("done") == Value{3});

  const auto stager = line("stager:switch", {{"mode", "local"}, {"prefix", "public"}, {"node", "n"}});
  check_shape(stager, recorded_line("stager:switch", [](const Value& r) { return text(r, "mode") == "local"; }),
              {"level", "time", "node"});
  CHECK(text(stager, "message") ==
        text(recorded_line("stager:switch", [](const Value& r) { return text(r, "mode") == "local"; }), "message"));
  // Oban's message for the status the recording never saw.
  CHECK(text(line("notifier:switch", {{"status", "isolated"}}), "message") ==
        "notifier can't receive messages from any nodes, functionality degraded");

  // Elections are logged only when leadership changes; a failed one still says why.
  CHECK(line("peer:election:stop", {{"leader", true}, {"was_leader", true}, {"node", "n"}}).is_null());
  const auto lost = line("peer:election:stop", {{"leader", false}, {"was_leader", true}, {"node", "n"}, {"peer", "p"}});
  check_shape(lost, recorded_line("peer:election", [](const Value&) { return true; }), {"level", "time"});
  CHECK(text(lost, "message") == "peer is no longer leader");
  CHECK(text(line("peer:election:stop", {{"leader", false}, {"was_leader", false}, {"error", "down"}}), "error") == "down");

  // A shutdown that orphaned nothing is not logged, as in Oban.
  CHECK(line("queue:shutdown", {{"queue", "q"}, {"orphaned", Value::Array{}}}, {{"elapsed", 5}}).is_null());

  // Any other event: its metadata, durations in microseconds, and a message when it has one.
  telemetry::Event other;
  other.name = "notifier:disconnect";
  other.level = telemetry::Level::warning;
  other.metadata = {{"error", "server closed the connection \"unexpectedly\""}};
  other.measurements = {{"duration", 2500}};
  const auto parsed = json::parse(format_json_line(other));
  CHECK(text(parsed, "level") == "warning");
  CHECK(*parsed.find("duration") == Value{2});
  CHECK(format_text_line(other).find(R"(error="server closed the connection \"unexpectedly\"")") != std::string::npos);
}

TEST_CASE("a gossip check has exactly the recorded fields", "[gossip]") {
  queue::ProducerCheck check;
  check.queue = "alpha";
  check.node = "cpp-1";
  check.uuid = queue::random_uuid();
  check.limit = 3;
  check.running = {3, 4, 5};
  check.started_at = check.updated_at = std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  // A plain (uncompressed) recorded payload: rec-d's first, before anything ran.
  Value recorded;
  for (const auto& line : fixture("gossip.jsonl")) {
    if (!line.find("decoded")) {
      recorded = json::parse(text(line, "payload"));
      break;
    }
  }
  REQUIRE(recorded.find("checks"));
  const auto& theirs = recorded.find("checks")->if_array()->front();
  REQUIRE(theirs.find("shutdown_started_at")->is_null());
  const auto ours = observe::gossip_check(check, "Oban");
  check_shape(ours, theirs, {});
  CHECK(*ours.find("running") == Value{Value::Array{3, 4, 5}});

  check.paused = true;
  check.shutdown_started_at = check.started_at;
  check.local_only = true;
  const auto shutting_down = observe::gossip_check(check, "Oban");
  CHECK(text(shutting_down, "shutdown_started_at") == format_iso8601(check.started_at));
  CHECK(*shutting_down.find("local_only") == Value{true});
  CHECK(text(shutting_down, "started_at").size() == text(theirs, "started_at").size());
}
