// Every branch of Rindle's MuxSyncProviderAsset (rindle.md section C) against a fake Mux on
// loopback and a real PostgreSQL, plus what this port does beyond Rindle.
#include <catch2/catch.hpp>

#include "oban/json/json_object.hpp"
#include "rindle/mux_sync_provider_asset.hpp"
#include "support/rindle_fixture.hpp"

using namespace std::chrono_literals;
using test_support::RindleFixture;

namespace {

oban::JobResult perform(RindleFixture& f, const std::string& args_json) {
  rindle::MuxSyncProviderAsset worker{f.services};
  oban::Job job;
  job.worker = rindle::kProviderAssetWorker;
  job.args = args_json;
  job.attempt = 1;
  job.max_attempts = 3;
  auto args = oban::json::JsonObject::parse(args_json);
  oban::JobContext context{job, args, {}};
  return worker.perform(context);
}

oban::JobResult sync(RindleFixture& f, const std::string& id) {
  return perform(f, R"({"provider_asset_id":")" + id + R"("})");
}

}  // namespace

TEST_CASE("a missing row is a success with nothing written", "[rindle][sync]") {
  RindleFixture f;
  CHECK(sync(f, "no-such-asset").kind() == oban::JobResult::Kind::ok);
  CHECK(f.mux_server.request_count() == 0);
}

TEST_CASE("a row stuck past the threshold is errored without calling Mux", "[rindle][sync]") {
  RindleFixture f;
  f.add_provider_asset("stuck-processing", "processing", 7201s);
  f.add_provider_asset("stuck-uploading", "uploading", 7201s);
  f.add_provider_asset("not-yet-stuck", "processing", 7199s);
  f.mux_server.set_asset("not-yet-stuck", "preparing", {});
  CHECK(sync(f, "stuck-processing").kind() == oban::JobResult::Kind::ok);
  CHECK(sync(f, "stuck-uploading").kind() == oban::JobResult::Kind::ok);
  CHECK(sync(f, "not-yet-stuck").kind() == oban::JobResult::Kind::ok);
  CHECK(f.row("stuck-processing").state == "errored");
  CHECK(f.row("stuck-processing").last_sync_error == "stuck in :processing past threshold");
  CHECK(f.row("stuck-uploading").last_sync_error == "stuck in :uploading past threshold");
  CHECK(f.row("stuck-processing").updated_at == f.clock.now());
  CHECK(f.row("not-yet-stuck").state == "processing");
  CHECK(f.mux_server.request_count("stuck-processing") == 0);
  CHECK(f.mux_server.request_count("not-yet-stuck") == 1);
}

TEST_CASE("the live state is written through the state machine", "[rindle][sync]") {
  RindleFixture f;
  f.add_provider_asset("becomes-ready", "processing", 60s);
  f.mux_server.set_asset("becomes-ready", "ready", {"play-1", "play-2"});
  CHECK(sync(f, "becomes-ready").kind() == oban::JobResult::Kind::ok);
  const auto ready = f.row("becomes-ready");
  CHECK(ready.state == "ready");
  CHECK(ready.playback_ids == std::vector<std::string>{"play-1", "play-2"});
  CHECK(ready.updated_at == f.clock.now());

  f.add_provider_asset("mux-errored", "processing", 60s);
  f.mux_server.set_asset("mux-errored", "errored", {});
  sync(f, "mux-errored");
  CHECK(f.row("mux-errored").state == "errored");
  CHECK(f.row("mux-errored").last_sync_error.empty());
}

TEST_CASE("the same state writes nothing", "[rindle][sync]") {
  RindleFixture f;
  f.add_provider_asset("still-preparing", "processing", 60s);
  f.mux_server.set_asset("still-preparing", "preparing", {});
  const auto before = f.row("still-preparing");
  CHECK(sync(f, "still-preparing").kind() == oban::JobResult::Kind::ok);
  const auto after = f.row("still-preparing");
  CHECK(after.state == "processing");
  CHECK(after.updated_at == before.updated_at);
}

TEST_CASE("a transition the state machine rejects marks the row errored", "[rindle][sync]") {
  RindleFixture f;
  f.add_provider_asset("deleted-while-processing", "processing", 60s);
  f.mux_server.set_asset("deleted-while-processing", "deleted", {});
  CHECK(sync(f, "deleted-while-processing").kind() == oban::JobResult::Kind::ok);
  CHECK(f.row("deleted-while-processing").state == "errored");
  CHECK(f.row("deleted-while-processing").last_sync_error == "live state deleted not reachable from processing");
}

TEST_CASE("beyond Rindle: an upload Mux already finished becomes ready", "[rindle][sync]") {
  RindleFixture f;
  f.add_provider_asset("upload-done", "uploading", 60s);
  f.mux_server.set_asset("upload-done", "ready", {"play-9"});
  CHECK(sync(f, "upload-done").kind() == oban::JobResult::Kind::ok);
  CHECK(f.row("upload-done").state == "ready");
  CHECK(f.row("upload-done").playback_ids == std::vector<std::string>{"play-9"});
}

TEST_CASE("beyond Rindle: an unknown Mux status keeps the row and its clocks", "[rindle][sync]") {
  RindleFixture f;
  f.add_provider_asset("odd-status", "processing", 60s);
  f.mux_server.set_asset("odd-status", "transcoding_v2", {});
  const auto before = f.row("odd-status");
  CHECK(sync(f, "odd-status").kind() == oban::JobResult::Kind::ok);
  const auto after = f.row("odd-status");
  CHECK(after.state == "processing");
  CHECK(after.last_sync_error == "unknown mux status: transcoding_v2");
  CHECK(after.updated_at == before.updated_at);
}

TEST_CASE("a 404 marks the row errored with Rindle's text", "[rindle][sync]") {
  RindleFixture f;
  f.add_provider_asset("gone", "processing", 60s);
  f.mux_server.set_not_found("gone");
  CHECK(sync(f, "gone").kind() == oban::JobResult::Kind::ok);
  CHECK(f.row("gone").state == "errored");
  CHECK(f.row("gone").last_sync_error == "mux asset not found");
}

TEST_CASE("other failures are recorded and retried", "[rindle][sync]") {
  RindleFixture f;
  f.add_provider_asset("flaky", "processing", 60s);
  f.mux_server.set_server_error("flaky", 503, 1);
  f.mux_server.set_asset("flaky", "ready", {});
  const auto failed = sync(f, "flaky");
  CHECK(failed.kind() == oban::JobResult::Kind::error);
  const auto row = f.row("flaky");
  CHECK(row.state == "processing");
  CHECK(row.last_sync_error.find("503") != std::string::npos);
  CHECK(row.last_sync_error == failed.reason());
  CHECK(row.updated_at == f.clock.now());  // Ecto bumps updated_at on that write
  CHECK(sync(f, "flaky").kind() == oban::JobResult::Kind::ok);
  CHECK(f.row("flaky").state == "ready");
}

TEST_CASE("beyond Rindle: a 429 snoozes for Retry-After instead of spending an attempt", "[rindle][sync]") {
  RindleFixture f;
  f.add_provider_asset("busy", "processing", 60s);
  f.mux_server.set_rate_limited("busy", 7, 1);
  const auto result = sync(f, "busy");
  CHECK(result.kind() == oban::JobResult::Kind::snooze);
  CHECK(result.snooze_seconds() == 7);
  CHECK(f.row("busy").state == "processing");
}

TEST_CASE("malformed args are cancelled, not retried", "[rindle][sync]") {
  RindleFixture f;
  CHECK(perform(f, R"({"id":"x"})").kind() == oban::JobResult::Kind::cancel);
  CHECK(perform(f, R"({"provider_asset_id":42})").kind() == oban::JobResult::Kind::cancel);
}

TEST_CASE("Mux asset ids are redacted as Rindle does", "[rindle]") {
  CHECK(rindle::redact_id("abcdefgh1234") == "...1234");
  CHECK(rindle::redact_id("abc") == "...redacted");
}
