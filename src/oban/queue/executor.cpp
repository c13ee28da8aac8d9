#include "oban/queue/executor.hpp"

#include <cstdio>
#include <exception>
#include <optional>

#include "oban/core/backoff.hpp"
#include "oban/core/telemetry.hpp"
#include "oban/db/connection.hpp"
#include "oban/json/json_object.hpp"
#include "oban/queue/exception_name.hpp"

namespace oban::queue {
namespace {

// Longest slice of bad args quoted in an errors entry.
constexpr std::size_t kArgsQuoteLimit = 80;
// The first uncounted retry after an infrastructure failure waits this long, then doubles.
constexpr std::chrono::seconds kInfrastructureRetry{5};

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

// What kind of JSON value `args` is when it is not an object ("an array", "a string"...).
std::string json_kind(const std::string& args) {
  const auto first = args.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "nothing";
  switch (args[first]) {
    case '[': return "an array";
    case '"': return "a string";
    case 'n': return "null";
    case 't':
    case 'f': return "a boolean";
    case '{': return "malformed JSON";
    default: return "a number";
  }
}

// Args that are not a JSON object can never run (Elixir cannot even load such a row):
// cancel at once, naming the problem.
Execution bad_args(const Job& job) {
  std::string quoted = job.args.substr(0, kArgsQuoteLimit);
  if (job.args.size() > kArgsQuoteLimit) quoted += "...";
  Execution e;
  e.kind = Execution::Kind::cancel;
  e.error = "** (ArgumentError) " + job.worker + " args must be a JSON object, got " + json_kind(job.args) + ": " +
            quoted;
  return e;
}

// Entries this attempt already left on the row: each an infrastructure failure that gave
// the attempt back (a counted failure moves the attempt on).
int uncounted_failures(const Job& job) {
  int count = 0;
  for (const auto& entry : job.errors) {
    try {
      if (json::JsonObject::parse(entry).integer("attempt") == job.attempt) ++count;
    } catch (const std::exception&) {
      // Not ours to judge; it is not one of these.
    }
  }
  return count;
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

Execution Executor::from_result(const Job& job, const std::shared_ptr<Worker>& worker, const JobResult& result) {
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
}

Execution Executor::run(const Job& job, const std::shared_ptr<Worker>& worker, std::stop_token stop,
                        TransactionalAck* ack) {
  if (!worker) return failure("** (RuntimeError) unknown worker: " + job.worker);
  std::optional<json::JsonObject> args;
  try {
    args = json::JsonObject::parse(job.args);
  } catch (const std::invalid_argument&) {
    return bad_args(job);
  }
  try {
    JobContext context{job, *args, std::move(stop), ack};
    return from_result(job, worker, worker->perform(context));
  } catch (const AttemptEnded& ended) {
    Execution e;
    e.kind = Execution::Kind::superseded;
    e.error = ended.what();
    e.worker = worker;
    return e;
  } catch (const std::exception& error) {
    Execution e = failure("** (" + exception_name(error) + ") " + error.what(), worker);
    if (db::is_infrastructure_failure(error)) e.kind = Execution::Kind::infrastructure;
    return e;
  } catch (...) {
    // As Elixir shows a throw out of perform.
    return failure("** (Oban.CrashError) ** (throw) a value of type " + foreign_exception_name(), worker);
  }
}

db::JobAck Executor::to_ack(const Job& job, const Execution& execution, Timestamp now) {
  db::JobAck ack;
  ack.id = job.id;
  ack.attempt = job.attempt;
  if (job.attempted_by.size() >= 2) {
    ack.node = job.attempted_by[0];
    ack.producer_uuid = job.attempted_by[1];
  }
  ack.errors_at_fetch = static_cast<int>(job.errors.size());
  ack.at = now;
  switch (execution.kind) {
    case Execution::Kind::success:
    case Execution::Kind::superseded:  // never written; complete is the harmless placeholder
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
    case Execution::Kind::infrastructure:
      if (const int before = uncounted_failures(job); before < kMaxUncountedFailures) {
        ack.kind = db::AckKind::error;
        ack.counts_attempt = false;
        ack.error_entry = db::error_entry(now, job.attempt, execution.error);
        ack.scheduled_at = now + kInfrastructureRetry * (1 << before);
        break;
      }
      [[fallthrough]];  // it kept failing that way: count it like any failure
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
