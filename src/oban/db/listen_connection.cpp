#include "oban/db/listen_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include "oban/core/telemetry.hpp"

namespace oban::db {
namespace {

std::string trimmed(const char* text) {
  std::string out = text ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// libpq prints notices to stderr by default; the library reports through telemetry only
// (e.g. the FATAL a terminated backend sends, or a channel name truncated to 63 bytes).
void report_notice(void*, const char* message) {
  telemetry::emit("notifier:notice", telemetry::Level::info, {{"message", trimmed(message)}});
}

int remaining_ms(ListenConnection::Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - ListenConnection::Clock::now());
  return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
}

}  // namespace

ListenConnection::ListenConnection(const std::string& dsn, std::chrono::milliseconds timeout, int interrupt_fd,
                                   std::function<bool()> stopping)
    : interrupt_fd_(interrupt_fd), stopping_(std::move(stopping)) {
  // The DSN (a URL or key=value text) is expanded as libpq's dbname; the application name
  // shows the connection's purpose in pg_stat_activity unless the DSN names one.
  const char* keywords[] = {"dbname", "fallback_application_name", nullptr};
  const char* values[] = {dsn.c_str(), "oban-cpp notifier", nullptr};
  conn_ = PQconnectStartParams(keywords, values, 1);
  if (!conn_) throw ConnectionLost("cannot allocate a connection");
  PQsetNoticeProcessor(conn_, report_notice, nullptr);
  try {
    finish_connecting(timeout);
  } catch (...) {
    PQfinish(conn_);
    throw;
  }
}

void ListenConnection::finish_connecting(std::chrono::milliseconds timeout) {
  if (PQstatus(conn_) == CONNECTION_BAD) fail("cannot connect");
  const auto deadline = Clock::now() + timeout;
  // As PQconnectPoll's contract says: start as if it had asked to write.
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) fail("cannot connect");
    const short events = status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    if (poll_socket(events, deadline) == Woke::timeout) {
      fail("no connection within " + std::to_string(timeout.count()) + " ms");
    }
    status = PQconnectPoll(conn_);
  }
  // Non-blocking from here on: sends never wait on a peer that stopped reading, and closing
  // (which sends a Terminate message) cannot hang.
  if (PQsetnonblocking(conn_, 1) != 0) fail("cannot make the connection non-blocking");
}

ListenConnection::~ListenConnection() {
  if (conn_) PQfinish(conn_);
}

int ListenConnection::backend_pid() const { return PQbackendPID(conn_); }

void ListenConnection::fail(const std::string& what) const {
  const std::string detail = trimmed(PQerrorMessage(conn_));
  throw ConnectionLost(detail.empty() ? what : what + ": " + detail);
}

ListenConnection::Woke ListenConnection::poll_socket(short events, Clock::time_point deadline) {
  for (;;) {
    pollfd fds[2] = {{PQsocket(conn_), events, 0}, {interrupt_fd_, POLLIN, 0}};
    if (fds[0].fd < 0) fail("connection has no socket");
    const int ready = ::poll(fds, 2, remaining_ms(deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw ConnectionLost(std::string{"poll failed: "} + std::strerror(errno));
    }
    if (fds[1].revents & POLLIN) {
      std::uint64_t count = 0;
      [[maybe_unused]] const auto read_bytes = ::read(interrupt_fd_, &count, sizeof count);  // drain the eventfd
      if (stopping_()) throw Interrupted{};
      // Another wake-up (a new channel): the caller's flags say what to do; waits for the
      // socket go on, the notifier's wait returns so it can act.
      if (fds[0].revents == 0) return Woke::interrupt;
    }
    if (fds[0].revents != 0) return Woke::socket;  // readable, writable, hang-up or error
    if (ready == 0) return Woke::timeout;
  }
}

void ListenConnection::consume_input() {
  // A server that ends the session (pg_terminate_backend, shutdown) sends its FATAL first:
  // the read succeeds, and the connection is then bad.
  if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) == CONNECTION_BAD) fail("connection lost");
  while (PGnotify* notify = PQnotifies(conn_)) {
    notifications_.push_back({notify->relname, notify->extra});
    PQfreemem(notify);
  }
}

void ListenConnection::run(const std::string& sql, std::chrono::milliseconds timeout, const char* what) {
  const auto deadline = Clock::now() + timeout;
  const auto late = [&] { fail(std::string{"no answer to "} + what + " within " + std::to_string(timeout.count()) + " ms"); };
  if (PQsendQuery(conn_, sql.c_str()) == 0) fail(std::string{"cannot send "} + what);
  for (int flushed = PQflush(conn_); flushed != 0; flushed = PQflush(conn_)) {
    if (flushed < 0) fail(std::string{"cannot send "} + what);
    const auto woke = poll_socket(POLLIN | POLLOUT, deadline);
    if (woke == Woke::timeout) late();
    if (woke == Woke::socket) consume_input();  // libpq must read while it writes
  }
  std::string error;
  for (;;) {
    while (PQisBusy(conn_)) {
      const auto woke = poll_socket(POLLIN, deadline);
      if (woke == Woke::timeout) late();
      if (woke == Woke::socket) consume_input();
    }
    PGresult* result = PQgetResult(conn_);
    if (!result) break;
    const auto status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && error.empty()) {
      error = trimmed(PQresultErrorMessage(result));
    }
    PQclear(result);
  }
  // LISTEN's results and notifications arrive in the same reads.
  consume_input();
  if (!error.empty()) throw ConnectionLost(std::string{what} + " failed: " + error);
}

void ListenConnection::listen(const std::vector<std::string>& channels, std::chrono::milliseconds timeout) {
  if (channels.empty()) return;
  std::string sql;
  for (const auto& channel : channels) {
    char* quoted = PQescapeIdentifier(conn_, channel.c_str(), channel.size());
    if (!quoted) fail("cannot quote channel " + channel);
    sql += std::string{"LISTEN "} + quoted + ";";
    PQfreemem(quoted);
  }
  run(sql, timeout, "LISTEN");
}

void ListenConnection::ping(std::chrono::milliseconds timeout) { run("SELECT 1", timeout, "ping"); }

void ListenConnection::wait(Clock::time_point until) {
  if (poll_socket(POLLIN, until) == Woke::socket) consume_input();
}

std::vector<ListenConnection::Notification> ListenConnection::take_notifications() {
  return std::exchange(notifications_, {});
}

}  // namespace oban::db
