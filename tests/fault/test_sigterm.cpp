// g. SIGTERM to a real `rindle-worker run` while its jobs wait on a slow Mux (issue 10,
// point 5). Mux holds every answer. A third are released well within the grace: those
// jobs complete in the child. A third are released the moment the child says its grace
// ended (queue:shutdown), so their answers race the stop request that follows: the job
// completes, or Rindle's worker abandons the exchange on its stop token and the node
// releases the job (a failure after the stop request is shutdown's doing). The last third
// get no answer while the child lives: each is abandoned and released. Either way the
// process exits 0 within the grace plus
// the hard deadline, with no crash report (the sanitizer builds check the teardown), and
// leaves nothing executing. A node started afterwards runs what was released, so each job
// runs once when the child completed it, else twice, and no job spent more than one attempt.
#include <csignal>

#include <catch2/catch.hpp>

#include <iostream>
#include <optional>
#include <thread>

#include "child_process.hpp"
#include "fault_world.hpp"
#include "oban/client/client.hpp"
#include "oban/json/json_writer.hpp"
#include "oban/runtime/node_internals.hpp"
#include "rindle/mux_client.hpp"
#include "rindle/mux_sync_coordinator.hpp"
#include "rindle/mux_sync_provider_asset.hpp"
#include "rindle/token_bucket.hpp"
#include "running_node.hpp"
#include "secret_scan.hpp"
#include "testkit/fake_mux.hpp"

using namespace fault;
using namespace std::chrono_literals;

namespace {

constexpr const char* kMuxTokenId = "fault-mux-token-id";
constexpr const char* kMuxTokenSecret = "Mx9!tokenSECRET/value";
constexpr int kJobs = 16;
constexpr auto kGrace = 2s;
constexpr auto kHardDeadline = 2s;

// A processing row of Rindle's media_provider_assets for Mux asset `mux_id`.
void add_asset(FaultWorld& world, const std::string& mux_id) {
  const auto asset = world.text(
      "INSERT INTO fault.media_assets (id, state, storage_key, profile, kind, inserted_at, updated_at) VALUES "
      "(gen_random_uuid(), 'available', 'media/' || gen_random_uuid(), 'video', 'video', now() - interval '60 s', "
      "now() - interval '60 s') RETURNING id::text");
  world.exec("INSERT INTO fault.media_provider_assets (id, asset_id, profile, provider_name, provider_asset_id, state, "
             "inserted_at, updated_at) VALUES (gen_random_uuid(), '" + asset + "', 'video', 'mux', '" + mux_id +
             "', 'processing', now() - interval '60 s', now() - interval '60 s')");
  world.exec("INSERT INTO fault.oban_jobs (worker, queue, args, max_attempts) VALUES ('" +
             std::string{rindle::kProviderAssetWorker} + "', '" + rindle::kProviderQueue + "', '" +
             oban::json::ObjectWriter{}.add("provider_asset_id", mux_id).str() + "', 3)");
}

std::string mux_id(int i) { return "fault-asset-" + std::to_string(i); }

bool has_crash_report(const std::string& output) {
  for (const char* marker : {"AddressSanitizer", "LeakSanitizer", "ThreadSanitizer", "runtime error:",
                             "terminate called", "Segmentation fault", "Aborted"}) {
    if (output.find(marker) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("g. SIGTERM to rindle-worker while its jobs wait on a slow Mux", "[fault][sigterm]") {
  FaultWorld world{"sigterm_slow_mux", true};
  world.exec("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA fault TO fault_user");
  testkit::FakeMux mux{kMuxTokenId, kMuxTokenSecret};
  for (int i = 0; i < kJobs; ++i) {
    mux.set_asset(mux_id(i), "ready", {"playback-" + std::to_string(i)});
    mux.hold(mux_id(i));
    add_asset(world, mux_id(i));
  }
  const auto seconds = [](auto duration) { return std::to_string(std::chrono::duration<double>(duration).count()); };
  ChildProcess child{{OBAN_RINDLE_WORKER, "run", "--queues", "rindle_provider:" + std::to_string(kJobs), "--no-cron",
                      "--node", "fault-child", "--prefix", "fault", "--poll-interval", "0.2", "--shutdown-grace",
                      seconds(kGrace), "--shutdown-hard-deadline", seconds(kHardDeadline)},
                     {{"DATABASE_URL", world.server().direct_dsn()},
                      {"RINDLE_MUX_BASE_URL", mux.base_url()},
                      {"RINDLE_MUX_TOKEN_ID", kMuxTokenId},
                      {"RINDLE_MUX_TOKEN_SECRET", kMuxTokenSecret},
                      {"RINDLE_MUX_RATE_LIMIT", "1000"},
                      {"RINDLE_SCHEMA", "fault"}}};
  const bool all_asked = wait_for([&] { return mux.request_count() >= kJobs; }, scaled(30s));
  if (!all_asked) std::cout << child.output() << std::endl;
  REQUIRE(all_asked);
  std::this_thread::sleep_for(200ms);  // every perform is now waiting on Mux
  const auto sent = std::chrono::steady_clock::now();
  child.send(SIGTERM);
  // 2 s (scaled under sanitizers) for the process's own teardown.
  const auto bound = kGrace + kHardDeadline + scaled(2s);
  constexpr int kThird = kJobs / 3;
  bool first_third = false;
  bool second_third = false;
  std::optional<int> status;
  while (!status && std::chrono::steady_clock::now() - sent < bound) {
    if (!first_third && std::chrono::steady_clock::now() - sent >= 300ms) {
      for (int i = 0; i < kThird; ++i) mux.release(mux_id(i));
      first_third = true;
    }
    if (!second_third && child.output().find("queue:shutdown") != std::string::npos) {
      for (int i = kThird; i < 2 * kThird; ++i) mux.release(mux_id(i));
      second_third = true;
    }
    status = child.wait(1ms);
  }
  const auto exit_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
  if (!status) {
    child.send(SIGKILL);
    status = child.wait(5s);
  }
  const std::string output = child.output();
  world.note_text(output);
  const long left_executing_by_child = world.count("state = 'executing'");
  const long completed_by_child = world.count("state = 'completed'");
  const long released_by_child = world.count("state = 'available' AND attempt = 0");
  std::vector<bool> done_by_child(kJobs);
  for (int i = 0; i < kJobs; ++i) {
    done_by_child[i] = world.count("args->>'provider_asset_id' = '" + mux_id(i) + "' AND state = 'completed'") == 1;
  }

  // The next node: Rindle's worker in process, Mux answering at once. Its Lifeline's
  // rescue_after stays at the default hour, so only what the child released runs here.
  for (int i = 0; i < kJobs; ++i) mux.release(mux_id(i));
  oban::WorkerRegistry rindle_registry;
  oban::db::ConnectionPool pool{world.server().direct_dsn(), 4};
  oban::Client client{{.dsn = world.server().direct_dsn(), .prefix = "fault"}};
  rindle::MuxClientConfig mux_config;
  mux_config.base_url = mux.base_url();
  mux_config.token_id = kMuxTokenId;
  mux_config.token_secret = kMuxTokenSecret;
  rindle::MuxClient mux_client{mux_config};
  rindle::TokenBucket mux_rate{1000, 50};
  rindle::RindleServices services{.pool = pool,
                                  .client = client,
                                  .mux = mux_client,
                                  .mux_rate = mux_rate,
                                  .config = rindle::RindleConfig{},
                                  .schema = "fault"};
  rindle::register_rindle_workers(rindle_registry, services);
  auto config = world.node_config(world.server().direct_dsn(), kJobs);
  config.queues = {{rindle::kProviderQueue, kJobs}};
  {
    oban::Node next{config, rindle_registry};
    oban::internals(next).set_leader_check([] { return true; });
    next.start();
    world.wait_until_settled(20s);
    Watchdog watchdog{"stopping the next node", 60s};
    next.stop();
  }

  Census census;
  for (int i = 0; i < kJobs; ++i) {
    const long runs = mux.request_count(mux_id(i));
    const auto id = "args->>'provider_asset_id' = '" + mux_id(i) + "'";
    ++census.inserted;
    census.completed += world.count(id + " AND state = 'completed'");
    census.left_executing += world.count(id + " AND state = 'executing'");
    census.runs_once += runs == 1 ? 1 : 0;
    census.runs_twice += runs == 2 ? 1 : 0;
    census.runs_unexpected += runs != (done_by_child[i] ? 1 : 2) ? 1 : 0;
    // A released run gives its attempt back: every job ends on attempt 1, no error kept.
    census.attempts_burned += world.count(id + " AND (cardinality(errors) > 0 OR attempt <> 1)");
  }
  census.secrets_in_logs = world.secrets_leaked() + static_cast<long>(SecretScan{kMuxTokenSecret}.leaks(output));
  census.add("exit", status ? describe_wait_status(*status) : std::string{"none"});
  census.add("exit_after_ms", static_cast<long>(exit_ms.count()));
  census.add("exit_bound_ms", static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(bound).count()));
  census.add("crash_report", has_crash_report(output) ? 1 : 0);
  census.add("completed_by_child", completed_by_child);
  census.add("released_by_child", released_by_child);
  census.add("left_executing_by_child", left_executing_by_child);
  census.add("child_output_bytes", static_cast<long>(output.size()));
  world.report_and_check(census);
  if (has_crash_report(output) || census.secrets_in_logs > 0) std::cout << "  child output:\n" << output << std::endl;
  REQUIRE(status);
  CHECK(describe_wait_status(*status) == "0");
  CHECK(exit_ms <= bound);
  CHECK_FALSE(has_crash_report(output));
  CHECK(left_executing_by_child == 0);
  CHECK(completed_by_child >= kThird);                 // answered within the grace
  CHECK(released_by_child >= kJobs - 2 * kThird);      // never answered: released
  CHECK(completed_by_child + released_by_child == kJobs);
  CHECK(output.find("queue:shutdown") != std::string::npos);
}
