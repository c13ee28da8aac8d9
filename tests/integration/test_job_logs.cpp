// The default logger's lines for a real node running jobs with every outcome, compared with
// the lines Oban.Telemetry.attach_default_logger(encode: true) wrote (telemetry-log.jsonl):
// one line per job stop or exception, each a JSON object with the recorded keys and types;
// plugin, leadership and shutdown lines too. Text lines carry the same fields and parse.
#include <catch2/catch.hpp>

#include <map>

#include "engine_test_helpers.hpp"
#include "observe_test_helpers.hpp"
#include "oban/insert/inserter.hpp"
#include "oban/runtime/node.hpp"
#include "oban/runtime/node_internals.hpp"

using namespace observe_test;
using namespace std::chrono_literals;

namespace {

const std::set<std::string> kLogExtras{"level", "time", "node"};

// The first recorded line for `event` that `matches`.
Value recorded(const std::string& event, const std::function<bool(const Value&)>& matches = [](const Value&) {
  return true;
}) {
  for (const auto& line : fixture_lines("telemetry-log.jsonl")) {
    if (text(line, "event") == event && matches(line)) return line;
  }
  throw std::runtime_error("nothing recorded for " + event);
}

// Where a JSON value written into a text line ends, from `at`.
std::size_t json_end(const std::string& line, std::size_t at) {
  if (line[at] == '"') {
    for (std::size_t i = at + 1; i < line.size(); ++i) {
      if (line[i] == '\\') {
        ++i;
      } else if (line[i] == '"') {
        return i + 1;
      }
    }
    throw std::runtime_error("unterminated string in: " + line);
  }
  if (line[at] == '{' || line[at] == '[') {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = at; i < line.size(); ++i) {
      const char c = line[i];
      if (in_string) {
        if (c == '\\') ++i;
        else if (c == '"') in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return i + 1;
      }
    }
    throw std::runtime_error("unbalanced value in: " + line);
  }
  const auto space = line.find(' ', at);
  return space == std::string::npos ? line.size() : space;
}

// "<time> [<level>] <event> key=<json> ...": every field, or an exception naming the problem.
Value parse_text_line(const std::string& line) {
  Value::Object fields;
  const auto first = line.find(' ');
  const auto level_end = line.find("] ", first);
  if (first == std::string::npos || level_end == std::string::npos || line[first + 1] != '[') {
    throw std::runtime_error("no '<time> [<level>] ' prefix: " + line);
  }
  fields["time"] = line.substr(0, first);
  fields["level"] = line.substr(first + 2, level_end - first - 2);
  auto at = level_end + 2;
  auto end = line.find(' ', at);
  fields["event"] = line.substr(at, end == std::string::npos ? std::string::npos : end - at);
  at = end;
  while (at != std::string::npos && at < line.size()) {
    if (line[at] != ' ') throw std::runtime_error("expected a space at " + std::to_string(at) + ": " + line);
    const auto equals = line.find('=', at + 1);
    if (equals == std::string::npos) throw std::runtime_error("a field without '=': " + line);
    const auto key = line.substr(at + 1, equals - at - 1);
    for (const char c : key) {
      if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) throw std::runtime_error("odd key " + key);
    }
    const auto value_end = json_end(line, equals + 1);
    fields[key] = oban::json::parse(line.substr(equals + 1, value_end - equals - 1));
    at = value_end;
  }
  return fields;
}

std::int64_t id_of(const Value& line) {
  const auto* id = line.find("id");
  return id && id->if_integer() ? *id->if_integer() : -1;
}

}  // namespace

TEST_CASE("JSON log lines of a real node: one per job stop or exception, with the recorded keys and types", "[logs]") {
  test_support::TestSchema schema{"joblogs"};
  LogCapture json_log;
  LogCapture text_log{oban::LogFormat::text};
  oban::WorkerRegistry registry;
  auto worker = std::make_shared<RecWorker>("gamma");
  registry.add(worker);

  oban::NodeConfig config;
  config.dsn = schema.dsn();
  config.prefix = schema.prefix();
  config.node = "cpp-logs";
  config.queues = {{"gamma", 10}, {"alpha", 1}};
  config.shutdown_grace = 0ms;  // the alpha job is orphaned: queue:shutdown
  config.stage_interval = 200ms;
  config.pruner = true;  // off by default; the recording's node listed it
  config.prune_interval = 300ms;
  config.prune_max_age = std::chrono::seconds{1};
  config.rescue_interval = 300ms;
  config.sonar_min_interval = 200ms;
  // Two executing rows of a node that died two hours ago, as the recording's ghost-node left
  // them: the Lifeline rescues the first and discards the second (at max attempts).
  const auto ghost = [&](int attempt) {
    pqxx::work tx{schema.conn()};
    const auto id = tx.exec("INSERT INTO " + schema.jobs_table() +
                            " (worker, queue, args, state, attempt, max_attempts, attempted_at, attempted_by) "
                            "VALUES ('Rec.Worker', 'gamma', '{\"action\":\"ok\",\"ghost\":1}', 'executing', " +
                            std::to_string(attempt) +
                            ", 3, timezone('UTC', now()) - interval '2 hours', ARRAY['ghost-node']) RETURNING id")[0][0]
                        .as<std::int64_t>();
    tx.commit();
    return id;
  };
  const auto rescued = ghost(2);
  const auto discarded = ghost(3);

  oban::Node node{config, registry};
  node.start();
  REQUIRE(eventually([&] { return oban::internals(node).notifier()->connected(); }, 10s));
  std::map<std::int64_t, std::string> outcome;  // id -> the state its line must carry
  const auto add = [&](const std::string& args, int max_attempts, const std::string& state,
                       const std::string& queue = "gamma") {
    oban::NewJob job;
    job.worker = "Rec.Worker";
    job.queue = queue;
    job.args = args;
    job.max_attempts = max_attempts;
    const auto id = oban::internals(node).inserter().insert(job).job.id;
    outcome[id] = state;
    return id;
  };
  add(R"({"action":"ok"})", 3, "success");
  const auto error = add(R"({"action":"error"})", 3, "failure");
  add(R"({"action":"raise"})", 3, "failure");
  add(R"({"action":"error"})", 1, "discard");
  add(R"({"action":"raise"})", 1, "discard");
  add(R"({"action":"snooze"})", 3, "snoozed");
  add(R"({"action":"cancel"})", 3, "cancelled");
  const auto timeout = add(R"({"action":"ok","sleep":2000,"timeout":300})", 1, "discard");
  const auto killed = add(R"({"action":"ok","sleep":30000})", 3, "cancelled");
  const auto orphan = add(R"({"action":"ok","sleep":30000})", 3, "", "alpha");
  outcome.erase(orphan);
  outcome[rescued] = "success";  // rescued to available, then run here

  const auto running_here = [&](const std::string& queue, std::int64_t id) {
    const auto ids = oban::internals(node).producer(queue)->check().running;
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  REQUIRE(eventually([&] { return running_here("gamma", killed) && running_here("alpha", orphan); }, 10s));
  // Oban.cancel_job/1 on the running job.
  engine_test::send_notification(schema, "signal", R"(["{\"action\":\"pkill\",\"job_id\":)" + std::to_string(killed) + R"(}"])");
  const auto all_ended = [&] {
    std::set<std::int64_t> ended;
    for (const auto& line : json_log.parsed()) {
      if (text(line, "event") == "job:stop" || text(line, "event") == "job:exception") ended.insert(id_of(line));
    }
    return std::all_of(outcome.begin(), outcome.end(), [&](const auto& entry) { return ended.count(entry.first); });
  };
  REQUIRE(eventually(all_ended, 20s));
  REQUIRE(eventually([&] { return !json_log.events("plugin:stop").empty(); }, 10s));
  REQUIRE(eventually(
      [&] {
        for (const auto& line : json_log.events("plugin:stop")) {
          if (text(line, "plugin") == "Oban.Plugins.Lifeline" && !line.find("rescued_jobs")->if_array()->empty()) return true;
        }
        return false;
      },
      10s));
  REQUIRE(eventually(
      [&] {
        for (const auto& line : json_log.events("plugin:stop")) {
          if (text(line, "plugin") == "Oban.Plugins.Pruner") return true;
        }
        return false;
      },
      10s));
  node.stop();

  const auto lines = json_log.parsed();  // throws if any line is not JSON
  REQUIRE_FALSE(lines.empty());
  for (const auto& line : lines) {
    INFO(oban::json::write(line));
    REQUIRE(line.if_object());
    CHECK_FALSE(text(line, "event").empty());
    CHECK_FALSE(text(line, "level").empty());
    CHECK(text(line, "time").ends_with("Z"));
    CHECK_FALSE(text(line, "source").empty());
  }

  {  // exactly one job:start and one job:stop or job:exception per job, with the state it ended in
    for (const auto& [id, state] : outcome) {
      INFO("job " << id << " expected " << state);
      int starts = 0;
      int ends = 0;
      for (const auto& line : lines) {
        if (id_of(line) != id) continue;
        const auto event = text(line, "event");
        if (event == "job:start") ++starts;
        if (event == "job:stop" || event == "job:exception") {
          ++ends;
          CHECK(text(line, "state") == state);
          CHECK(event == (state == "failure" || state == "discard" ? "job:exception" : "job:stop"));
        }
      }
      CHECK(starts == 1);
      CHECK(ends == 1);
    }
  }

  {  // each job line has the keys and types of the recorded line for the same event and state
    int compared = 0;
    for (const auto& line : lines) {
      const auto event = text(line, "event");
      if (!event.starts_with("job:")) continue;
      const auto theirs = event == "job:start"
                              ? recorded(event)
                              : recorded(event, [&](const Value& r) { return text(r, "state") == text(line, "state"); });
      INFO(oban::json::write(line) << "\nrecorded " << oban::json::write(theirs));
      CHECK(joined(shape_differences(line, theirs, kLogExtras)) == "");
      CHECK(text(line, "node") == "cpp-logs");
      CHECK(text(line, "source") == "oban");
      ++compared;
    }
    CHECK(compared >= 2 * static_cast<int>(outcome.size()));
  }

  {  // the error banners are Oban's, word for word where the recording has the same failure
    for (const auto& line : lines) {
      if (text(line, "event") != "job:exception") continue;
      CHECK(text(line, "error").starts_with("** ("));
      if (id_of(line) == error) {
        CHECK(text(line, "error") == text(recorded("job:exception", [](const Value& r) {
                                        return text(r, "error").find("PerformError") != std::string::npos;
                                      }),
                                      "error"));
      }
      if (id_of(line) == timeout) {
        CHECK(text(line, "error") == text(recorded("job:exception", [](const Value& r) {
                                        return text(r, "error").find("TimeoutError") != std::string::npos;
                                      }),
                                      "error"));
      }
    }
  }

  {  // plugin, leadership and shutdown lines
    int pruner = 0;
    int lifeline = 0;
    for (const auto& line : json_log.events("plugin:stop")) {
      const auto plugin = text(line, "plugin");
      INFO(oban::json::write(line));
      if (plugin != "Oban.Plugins.Pruner" && plugin != "Oban.Plugins.Lifeline") continue;
      const auto theirs = recorded("plugin:stop", [&](const Value& r) { return text(r, "plugin") == plugin; });
      CHECK(joined(shape_differences(line, theirs, kLogExtras)) == "");
      (plugin == "Oban.Plugins.Pruner" ? pruner : lifeline) += 1;
      if (plugin == "Oban.Plugins.Lifeline" && !line.find("rescued_jobs")->if_array()->empty()) {
        CHECK(*line.find("rescued_jobs") == Value{Value::Array{rescued}});
        CHECK(*line.find("discarded_jobs") == Value{Value::Array{discarded}});
      }
    }
    CHECK(pruner >= 1);
    CHECK(lifeline >= 1);

    const auto elections = json_log.events("peer:election");
    REQUIRE(elections.size() >= 1);
    CHECK(joined(shape_differences(elections.front(), recorded("peer:election"), kLogExtras)) == "");
    CHECK(text(elections.front(), "message") == "peer became leader");
    CHECK(*elections.front().find("leader") == Value{true});

    const auto shutdowns = json_log.events("queue:shutdown");
    REQUIRE(shutdowns.size() == 1);
    CHECK(joined(shape_differences(shutdowns.front(), recorded("queue:shutdown"), kLogExtras)) == "");
    CHECK(*shutdowns.front().find("orphaned") == Value{Value::Array{orphan}});
    CHECK(text(shutdowns.front(), "queue") == "alpha");
    CHECK(text(shutdowns.front(), "message") == text(recorded("queue:shutdown"), "message"));

    const auto switches = json_log.events("notifier:switch");
    REQUIRE_FALSE(switches.empty());
    CHECK(joined(shape_differences(switches.front(), recorded("notifier:switch"), kLogExtras)) == "");
  }

  {  // the text log says the same, and every line parses: time, [level], event, key=<JSON>...
    const auto text_lines = text_log.lines();
    std::multiset<std::pair<std::string, std::int64_t>> from_text;
    std::multiset<std::pair<std::string, std::int64_t>> from_json;
    for (const auto& line : text_lines) {
      INFO(line);
      Value fields;
      REQUIRE_NOTHROW(fields = parse_text_line(line));
      if (text(fields, "event").starts_with("job:")) from_text.insert({text(fields, "event"), id_of(fields)});
    }
    for (const auto& line : lines) {
      if (text(line, "event").starts_with("job:")) from_json.insert({text(line, "event"), id_of(line)});
    }
    CHECK(from_text == from_json);
    CHECK(text_lines.size() == lines.size());
  }
}
