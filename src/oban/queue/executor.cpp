#include "oban/queue/executor.hpp"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>


#include "oban/core/backoff.hpp"
#include "oban/core/telemetry.hpp"
#include "oban/json/json_object.hpp"

namespace oban::queue {
namespace {

std::string demangle(const char* mangled) {
  int status = 0;
  char* readable = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = (status == 0 && readable) ? readable : mangled;
  std::free(readable);
  return name;
}

std::string perform_error(const Job& job, const std::string& term) {
  return "** (Oban.PerformError) " + job.worker + " failed with " + term;
}

Execution failure(std::string error, std::shared_ptr<Worker> worker = nullptr) {
  Execution e;
  e.kind = Execution::Kind::failure;
  e.error = std::move(error);
  e.worker = std::move(worker);
  return e;
}

}  // namespace

std::string elixir_string_literal(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      case '\b': out += "\\b"; break;
      case '\a': out += "\\a"; break;
      case '\x1b': out += "\\e"; break;
      case '\0': out += "\\0"; break;
      case '#':
        // "#{" would read as interpolation.
        out += (i + 1 < text.size() && text[i + 1] == '{') ? "\\#" : "#";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

Execution timeout_execution(const Job& job, std::int64_t timeout_ms) {
  return failure("** (Oban.TimeoutError) " + job.worker + " timed out after " + std::to_string(timeout_ms) + "ms");
}

Execution shutdown_execution(const Job& job) {
  Execution e;
  e.kind = Execution::Kind::cancel;
  e.error = perform_error(job, "{:cancel, :shutdown}");
  return e;
}

Execution Executor::run(const Job& job, const std::shared_ptr<Worker>& worker, std::stop_token stop) {
  if (!worker) return failure("** (RuntimeError) unknown worker: " + job.worker);
  try {
    auto args = json::JsonObject::parse(job.args);
    JobContext context{job, args, std::move(stop)};
    const JobResult result = worker->perform(context);
    Execution e;
    e.worker = worker;
    switch (result.kind()) {
      case JobResult::Kind::ok:
        e.kind = Execution::Kind::success;
        break;
      case JobResult::Kind::error:
        e.kind = Execution::Kind::failure;
        e.error = perform_error(job, "{:error, " + elixir_string_literal(result.reason()) + "}");
        break;
      case JobResult::Kind::cancel:
        e.kind = Execution::Kind::cancel;
        e.error = perform_error(job, "{:cancel, " + elixir_string_literal(result.reason()) + "}");
        break;
      case JobResult::Kind::snooze:
        e.kind = Execution::Kind::snooze;
        e.snooze_seconds = result.snooze_seconds();
        break;
      case JobResult::Kind::discard:
        e.kind = Execution::Kind::discard;
        e.error = perform_error(
            job, result.reason().empty() ? ":discard" : "{:discard, " + elixir_string_literal(result.reason()) + "}");
        break;
    }
    return e;
  } catch (const std::exception& error) {
    return failure("** (" + demangle(typeid(error).name()) + ") " + error.what(), worker);
  } catch (...) {
    const std::type_info* type = abi::__cxa_current_exception_type();
    return failure("** (" + (type ? demangle(type->name()) : std::string{"unknown"}) + ") non-standard C++ exception",
                   worker);
  }
}

db::JobAck Executor::to_ack(const Job& job, const Execution& execution, Timestamp now) {
  db::JobAck ack;
  ack.id = job.id;
  ack.at = now;
  switch (execution.kind) {
    case Execution::Kind::success:
      ack.kind = db::AckKind::complete;
      break;
    case Execution::Kind::snooze:
      ack.kind = db::AckKind::snooze;
      ack.scheduled_at = now + std::chrono::seconds{execution.snooze_seconds};
      break;
    case Execution::Kind::cancel:
      ack.kind = db::AckKind::cancel;
      ack.error_entry = db::error_entry(now, job.attempt, execution.error);
      break;
    case Execution::Kind::discard:
      ack.kind = db::AckKind::discard;
      ack.error_entry = db::error_entry(now, job.attempt, execution.error);
      break;
    case Execution::Kind::failure: {
      ack.error_entry = db::error_entry(now, job.attempt, execution.error);
      if (job.attempt < job.max_attempts) {
        std::int64_t seconds = 0;
        try {
          seconds = execution.worker ? execution.worker->backoff(job) : default_backoff(job.attempt, job.max_attempts);
        } catch (const std::exception& e) {
          telemetry::emit("worker:backoff:exception", telemetry::Level::error,
                          {{"id", job.id}, {"worker", job.worker}, {"error", e.what()}});
          seconds = default_backoff(job.attempt, job.max_attempts);
        }
        ack.kind = db::AckKind::error;
        ack.scheduled_at = now + std::chrono::seconds{seconds};
      } else {
        ack.kind = db::AckKind::discard;
      }
      break;
    }
  }
  return ack;
}

}  // namespace oban::queue
