#include "oban/queue/job_telemetry.hpp"

#include "oban/core/telemetry.hpp"

namespace oban::queue {
namespace {

Value::Object job_metadata(const Job& job, const std::string& node) {
  return {{"id", job.id},
          {"args", Value::raw_json(job.args)},
          {"meta", Value::raw_json(job.meta)},
          {"queue", job.queue},
          {"worker", job.worker},
          {"attempt", job.attempt},
          {"max_attempts", job.max_attempts},
          {"tags", job.tags},
          {"node", node}};
}

// The first line of an errors entry: what Oban's logger prints as `error`.
std::string banner(const std::string& error) { return error.substr(0, error.find('\n')); }

}  // namespace

void emit_job_start(const Job& job, const std::string& node) {
  if (!telemetry::wanted("job:start", telemetry::Level::info)) return;
  telemetry::emit("job:start", telemetry::Level::info, job_metadata(job, node),
                  {{"system_time", telemetry::system_time_now()}});
}

void emit_job_end(const Job& job, const std::string& node, const Execution& execution, const db::JobAck& ack,
                  std::chrono::steady_clock::duration elapsed) {
  const bool failed =
      execution.kind == Execution::Kind::failure || execution.kind == Execution::Kind::infrastructure;
  const char* name = failed ? "job:exception" : "job:stop";
  const auto level = failed ? telemetry::Level::warning : telemetry::Level::info;
  if (!telemetry::wanted(name, level)) return;
  auto metadata = job_metadata(job, node);
  switch (ack.kind) {
    case db::AckKind::complete: metadata["state"] = "success"; break;
    case db::AckKind::snooze: metadata["state"] = "snoozed"; break;
    case db::AckKind::cancel: metadata["state"] = "cancelled"; break;
    case db::AckKind::discard: metadata["state"] = "discard"; break;
    case db::AckKind::error: metadata["state"] = "failure"; break;
    case db::AckKind::release: metadata["state"] = "released"; break;  // given back untouched (shutdown)
  }
  if (!ack.counts_attempt) metadata["attempt_counted"] = false;  // an infrastructure failure, retried
  if (failed) {
    metadata["kind"] = "error";
    metadata["error"] = banner(execution.error);
  } else if (!execution.error.empty()) {
    metadata["result"] = banner(execution.error);
  }
  Value::Object measurements{{"duration", telemetry::to_native(elapsed)}};
  if (job.attempted_at) {
    measurements["queue_time"] =
        std::chrono::duration_cast<std::chrono::nanoseconds>(*job.attempted_at - job.scheduled_at).count();
  }
  telemetry::emit(name, level, std::move(metadata), std::move(measurements));
}

}  // namespace oban::queue
