#include "oban/observe/health.hpp"

namespace oban::observe {
namespace {

std::int64_t ms_between(std::chrono::steady_clock::time_point earlier, std::chrono::steady_clock::time_point later) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(later - earlier).count();
}

}  // namespace

Verdict liveness(bool node_running, const std::vector<core::LoopHealth>& loops,
                 std::chrono::steady_clock::time_point now, std::chrono::steady_clock::duration stuck_after) {
  Verdict verdict;
  verdict.ok = node_running;
  Value::Array listed;
  for (const auto& loop : loops) {
    const bool alive = loop.alive(now, stuck_after);
    verdict.ok = verdict.ok && alive;
    listed.push_back(Value::Object{{"name", loop.name},
                                   {"alive", alive},
                                   {"running", loop.running},
                                   {"in_step", loop.in_step},
                                   {"last_beat_ms_ago", ms_between(loop.last_beat, now)}});
  }
  verdict.details = {{"status", verdict.ok ? "ok" : "failing"},
                     {"node_running", node_running},
                     {"stuck_after_ms", std::chrono::duration_cast<std::chrono::milliseconds>(stuck_after).count()},
                     {"loops", std::move(listed)}};
  return verdict;
}

DatabaseProbe::DatabaseProbe(std::string dsn, db::ConnectOptions connect, std::chrono::milliseconds interval,
                             std::chrono::milliseconds statement_timeout)
    : interval_(interval),
      statement_timeout_(statement_timeout),
      conn_(std::move(dsn), connect, statement_timeout),
      loop_("readiness", [this] { return step(); }) {}

DatabaseProbe::~DatabaseProbe() { stop(); }

void DatabaseProbe::start() { loop_.start(); }

void DatabaseProbe::stop() noexcept { loop_.stop(); }

std::chrono::milliseconds DatabaseProbe::step() {
  bool ok = false;
  std::string error;
  try {
    conn_.check();
    ok = true;
  } catch (const std::exception& e) {
    error = e.what();  // redacted by the probe connection
  }
  std::lock_guard lock{mutex_};
  ok_ = ok;
  error_ = std::move(error);
  checked_at_ = std::chrono::steady_clock::now();
  return interval_;
}

bool DatabaseProbe::answering(std::chrono::steady_clock::time_point now) const {
  std::lock_guard lock{mutex_};
  const auto valid_for = 2 * interval_ + statement_timeout_ + std::chrono::seconds{1};
  return ok_ && now - checked_at_ <= valid_for;
}

Value::Object DatabaseProbe::details(std::chrono::steady_clock::time_point now) const {
  const bool ok = answering(now);
  std::lock_guard lock{mutex_};
  Value::Object out{{"ok", ok}};
  if (checked_at_ != std::chrono::steady_clock::time_point{}) out["checked_ms_ago"] = ms_between(checked_at_, now);
  if (!ok) out["error"] = ok_ ? std::string{"the last check is too old (a check is hanging)"} : error_;
  return out;
}

}  // namespace oban::observe
