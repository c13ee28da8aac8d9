#pragma once
// What /healthz and /readyz answer. Liveness: every loop of the node is running and none
// is stuck in one step. Readiness: the database answers a query (checked in the
// background, so a probe never waits on the database) and, when the node listens, its
// LISTEN connection is up.
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "oban/core/loop_health.hpp"
#include "oban/core/timer_loop.hpp"
#include "oban/core/value.hpp"
#include "oban/db/probe_connection.hpp"

namespace oban::observe {

struct Verdict {
  bool ok = false;
  Value::Object details;  // the response body, as JSON
};

// Alive when `node_running` and every loop is alive (LoopHealth::alive). The details list
// each loop with its state and how long ago it last beat.
Verdict liveness(bool node_running, const std::vector<core::LoopHealth>& loops,
                 std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration stuck_after);

// Checks the database every `interval` on a connection of its own (db::ProbeConnection:
// reopened after an error, opened with `connect`'s timeouts, each check under
// `statement_timeout`). The last answer stays valid for a bounded time, so a probe that
// hangs reads as "database not answering" rather than as the last success.
class DatabaseProbe {
 public:
  DatabaseProbe(std::string dsn, db::ConnectOptions connect, std::chrono::milliseconds interval,
                std::chrono::milliseconds statement_timeout = std::chrono::milliseconds{2000});
  ~DatabaseProbe();  // stop()
  DatabaseProbe(const DatabaseProbe&) = delete;
  DatabaseProbe& operator=(const DatabaseProbe&) = delete;

  void start();  // the first probe runs at once
  void stop() noexcept;

  // The last probe succeeded and is recent enough (within 2 intervals + the statement
  // timeout + 1 s).
  bool answering(std::chrono::steady_clock::time_point now) const;
  // {"ok", "checked_ms_ago", "error"} for the readiness body.
  Value::Object details(std::chrono::steady_clock::time_point now) const;

 private:
  std::chrono::milliseconds step();

  const std::chrono::milliseconds interval_;
  const std::chrono::milliseconds statement_timeout_;
  db::ProbeConnection conn_;  // used by the loop thread only
  mutable std::mutex mutex_;                // guards the results below
  bool ok_ = false;
  std::string error_ = "not checked yet";
  std::chrono::steady_clock::time_point checked_at_{};
  core::TimerLoop loop_;
};

}  // namespace oban::observe
