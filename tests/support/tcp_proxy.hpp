#pragma once
// A real TCP proxy between PostgreSQL clients and a server, for fault tests: it listens on
// 127.0.0.1:<ephemeral> and forwards every connection to the target, reading the protocol
// as it goes (support/pg_wire.hpp) so it can fail in the ways networks and middle boxes do:
//
// - drop_all(): every open connection closed now, both sides (a restarted load balancer);
// - drop_after_commit(): the commit of a matching write reaches the server and its answer
//   (up to ReadyForQuery) reaches the proxy, which then closes the client's side without
//   forwarding it: the write landed, the client saw a lost connection (in doubt);
// - silence_*(): bytes stop flowing both ways and every socket stays open, no FIN, no RST,
//   as a dead NAT entry or a load balancer whose backend vanished. The proxy's kernel still
//   acknowledges what the client sends, so TCP keepalive cannot tell: only a deadline on an
//   answer (a ping, a statement) can. A silenced connection stays dead for good.
//
// Modes are switched from any thread; each call returns once the proxy applied it.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace test_support {

class TcpProxy {
 public:
  // Says whether one SQL statement is the write whose commit the rule drops.
  using StatementMatcher = std::function<bool(std::string_view sql)>;

  TcpProxy(std::string target_host, int target_port);
  ~TcpProxy();  // closes everything
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const;

  // New connections are forwarded again (connections silenced earlier stay silent).
  void pass_through();
  // Closes every open connection, both sides, now.
  void drop_all();
  // Every open connection, and every new one until pass_through(), goes silent.
  void silence_all();
  // Only the open connections that have sent LISTEN go silent (the notifier's); new
  // connections are not touched.
  void silence_listeners();

  // Arms the drop-after-commit rule for its next `times` firings. It fires at the commit of
  // a transaction in which a statement matching `matches` ran (a simple-Query COMMIT/END, or
  // an extended-protocol Execute of one), or at a matching statement run outside any
  // transaction (autocommit; simple Query or Parse/Bind/Execute).
  void drop_after_commit(StatementMatcher matches, int times);
  void disarm();
  // How many times the rule fired (connections closed with the commit's answer held back).
  int drops_fired() const;

  int connections_accepted() const;
  int connections_open() const;
  // Open connections that sent LISTEN at some point.
  int listener_connections() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace test_support
