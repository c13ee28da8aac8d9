// The JSON value type, its text form, and the telemetry bus every component reports through.
#include <catch2/catch.hpp>

#include <vector>

#include "oban/core/telemetry.hpp"
#include "oban/core/value.hpp"
#include "oban/json/json_value.hpp"
#include "oban/json/json_writer.hpp"
#include "oban/runtime/default_logger.hpp"

using namespace oban;

TEST_CASE("values write as compact JSON with sorted keys and read back", "[json]") {
  const Value value = Value::Object{{"tags", Value::Array{"a", "b"}},
                                    {"id", 7},
                                    {"ratio", 1.0},
                                    {"nested", Value::Object{{"ok", true}, {"none", nullptr}}},
                                    {"args", Value::raw_json(R"({"x":[1,2]})")}};
  const auto text = json::write(value);
  CHECK(text == R"({"args":{"x":[1,2]},"id":7,"nested":{"none":null,"ok":true},"ratio":1.0,"tags":["a","b"]})");
  const auto back = json::parse(text);
  REQUIRE(back.find("nested") != nullptr);
  CHECK(*back.find("id") == Value{7});
  CHECK(*back.find("ratio") == Value{1.0});
  CHECK(*back.find("tags") == Value{Value::Array{"a", "b"}});
  CHECK_THROWS_AS(json::parse("{"), std::invalid_argument);
}

TEST_CASE("JSON strings are always valid UTF-8 without NUL, so jsonb accepts them", "[json]") {
  CHECK(json::quote("caf\xC3\xA9") == "\"caf\xC3\xA9\"");
  CHECK(json::quote("bad \xC3\x28 byte") == "\"bad \xEF\xBF\xBD( byte\"");
  CHECK(json::quote(std::string{"nul\0here", 8}) == "\"nul\xEF\xBF\xBDhere\"");
  CHECK(json::quote("\xED\xA0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // a surrogate
  CHECK(json::quote("tab\tquote\"") == R"("tab\tquote\"")");
}

TEST_CASE("telemetry handlers get the events whose names they asked for", "[telemetry]") {
  std::vector<std::string> seen;
  const auto id = telemetry::attach({"job:"}, [&](const telemetry::Event& event) { seen.push_back(event.name); });
  const auto throwing = telemetry::attach({"job:stop"}, [](const telemetry::Event&) { throw std::runtime_error("x"); });
  CHECK(telemetry::wanted("job:stop"));
  CHECK_FALSE(telemetry::wanted("plugin:stop"));
  telemetry::emit("job:start", telemetry::Level::info, {{"id", 1}});
  telemetry::emit("plugin:stop", telemetry::Level::info, {});
  telemetry::emit("job:stop", telemetry::Level::info, {{"id", 1}});  // the throwing handler breaks nothing
  telemetry::detach(throwing);
  telemetry::detach(id);
  telemetry::emit("job:stop", telemetry::Level::info, {});
  CHECK(seen == std::vector<std::string>{"job:start", "job:stop"});
}

TEST_CASE("a handler attached at a level gets only events at that level and above", "[telemetry]") {
  std::vector<std::string> seen;
  const auto id = telemetry::attach({"job:"}, telemetry::Level::warning,
                                    [&](const telemetry::Event& event) { seen.push_back(event.name); });
  // Nobody wants an info job:stop, so the hot path builds none; a warning one is wanted.
  CHECK_FALSE(telemetry::wanted("job:stop", telemetry::Level::info));
  CHECK(telemetry::wanted("job:exception", telemetry::Level::warning));
  CHECK(telemetry::wanted("job:stop"));  // at some level
  telemetry::emit("job:stop", telemetry::Level::info, {{"id", 1}});
  telemetry::emit("job:exception", telemetry::Level::warning, {{"id", 1}});
  telemetry::emit("job:exception", telemetry::Level::error, {{"id", 2}});
  {
    telemetry::Span quiet{"job:span", {}, telemetry::Level::info};  // neither start nor stop reaches it
    telemetry::Span failing{"job:fails", {}, telemetry::Level::info};
    failing.stop_with_error("error", "boom");  // a warning: it does
  }
  telemetry::detach(id);
  CHECK(seen == std::vector<std::string>{"job:exception", "job:exception", "job:fails:exception"});
}

TEST_CASE("a span reports its start and its end with a duration", "[telemetry]") {
  std::vector<telemetry::Event> seen;
  const auto id = telemetry::attach({"engine:fetch_jobs"}, [&](const telemetry::Event& event) { seen.push_back(event); });
  {
    telemetry::Span span{"engine:fetch_jobs", {{"queue", "q"}}};
    span.add("count", 3);
  }
  {
    telemetry::Span span{"engine:fetch_jobs", {{"queue", "q"}}};
    span.stop_with_error("error", "boom");
  }
  telemetry::detach(id);
  REQUIRE(seen.size() == 4);
  CHECK(seen[1].name == "engine:fetch_jobs:stop");
  CHECK(*seen[1].metadata.at("count").if_integer() == 3);
  CHECK(seen[1].measurements.count("duration") == 1);
  CHECK(seen[3].name == "engine:fetch_jobs:exception");
  CHECK(*seen[3].metadata.at("error").if_string() == "boom");
}

TEST_CASE("log lines parse: JSON objects, or text with quoted values", "[telemetry]") {
  telemetry::Event event;
  event.name = "job:stop";
  event.metadata = {{"worker", "My Worker"}, {"id", 5}, {"state", "success"}};
  event.measurements = {{"duration", 2'500'000}};
  const auto json_line = json::parse(format_json_line(event));
  CHECK(*json_line.find("event") == Value{"job:stop"});
  CHECK(*json_line.find("source") == Value{"oban"});
  CHECK(*json_line.find("duration") == Value{2500});  // microseconds, as Oban logs them
  CHECK(*json_line.find("worker") == Value{"My Worker"});
  const auto text = format_text_line(event);
  CHECK(text.find(" job:stop ") != std::string::npos);
  CHECK(text.find("worker=\"My Worker\"") != std::string::npos);
  CHECK(text.find("duration=2500") != std::string::npos);
  CHECK_THROWS_WITH(parse_log_level("loud"), Catch::Contains("debug, info, warning, error"));
  CHECK_THROWS_WITH(parse_log_format("xml"), Catch::Contains("text, json"));
}
