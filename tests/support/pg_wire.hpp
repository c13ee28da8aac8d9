#pragma once
// Just enough of PostgreSQL's wire protocol (v3) for the fault proxy to see what goes by:
// it splits a byte stream into messages and reads the SQL out of the ones that carry it.
// It never changes a byte; the proxy forwards what it read as it was.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace test_support::pg_wire {

struct Message {
  // The type byte ('Q', 'P', 'Z', ...); '\0' for the untyped packets a client sends first
  // (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest).
  char type = '\0';
  std::int32_t code = 0;  // untyped packets: the protocol version or request code
  std::string body;       // after the type byte and the length (untyped: after the code)
};

// The codes of the untyped packets.
constexpr std::int32_t kSslRequest = 80877103;
constexpr std::int32_t kGssEncRequest = 80877104;
constexpr std::int32_t kCancelRequest = 80877102;

// One direction of one connection.
class Reader {
 public:
  enum class Side { client, server };
  explicit Reader(Side side) : side_(side) {}

  // Appends bytes and calls `on_message` for each message they complete.
  void feed(std::string_view bytes, const std::function<void(const Message&)>& on_message);
  // Server side: the next reply is one bare byte ('N', 'S' or 'G'), the answer to an
  // SSLRequest or GSSENCRequest the client just sent.
  void expect_single_byte_reply() { ++single_byte_replies_; }

 private:
  Side side_;
  bool startup_ = true;  // client side: untyped packets until the StartupMessage
  int single_byte_replies_ = 0;
  std::string pending_;
};

// The NUL-terminated string at `offset` of a message body; `offset` moves past it.
std::string cstring(const std::string& body, std::size_t& offset);

// What a statement does to the transaction it runs in, from its first word.
enum class TransactionControl { none, begin, commit, rollback };
TransactionControl transaction_control(std::string_view sql);

// Calls `each` with every statement of a simple Query text (split on ';' outside quotes).
void for_each_statement(std::string_view sql, const std::function<void(std::string_view)>& each);

}  // namespace test_support::pg_wire
