#include "support/pg_wire.hpp"

#include <cctype>

namespace test_support::pg_wire {
namespace {

std::int32_t read_int32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return static_cast<std::int32_t>(value);
}

std::string first_word_upper(std::string_view sql) {
  std::size_t i = 0;
  while (i < sql.size() && (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(')) ++i;
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
    ++i;
  }
  return word;
}

}  // namespace

void Reader::feed(std::string_view bytes, const std::function<void(const Message&)>& on_message) {
  pending_.append(bytes);
  std::size_t at = 0;
  for (;;) {
    const std::string_view rest{pending_.data() + at, pending_.size() - at};
    if (side_ == Side::server && single_byte_replies_ > 0) {
      if (rest.empty()) break;
      --single_byte_replies_;
      Message message;
      message.type = rest[0];
      on_message(message);
      at += 1;
      continue;
    }
    const bool untyped = side_ == Side::client && startup_;
    const std::size_t header = untyped ? 8 : 5;  // untyped: length + code; typed: type + length
    if (rest.size() < header) break;
    const std::int32_t length = read_int32(rest, untyped ? 0 : 1);  // counts itself, not the type byte
    const std::size_t total = untyped ? static_cast<std::size_t>(length) : static_cast<std::size_t>(length) + 1;
    if (length < 4 || total < header) {
      // Not PostgreSQL's protocol (or a stream we lost track of): stop looking, keep forwarding.
      pending_.clear();
      return;
    }
    if (rest.size() < total) break;
    Message message;
    if (untyped) {
      message.code = read_int32(rest, 4);
      message.body.assign(rest.substr(8, total - 8));
      // SSL/GSS requests are followed by another untyped packet; anything else ends the startup.
      if (message.code != kSslRequest && message.code != kGssEncRequest) startup_ = false;
    } else {
      message.type = rest[0];
      message.body.assign(rest.substr(5, total - 5));
    }
    on_message(message);
    at += total;
  }
  pending_.erase(0, at);
}

std::string cstring(const std::string& body, std::size_t& offset) {
  const auto end = body.find('\0', offset);
  if (end == std::string::npos) {
    std::string text = body.substr(offset);
    offset = body.size();
    return text;
  }
  std::string text = body.substr(offset, end - offset);
  offset = end + 1;
  return text;
}

TransactionControl transaction_control(std::string_view sql) {
  const auto word = first_word_upper(sql);
  if (word == "BEGIN" || word == "START") return TransactionControl::begin;
  if (word == "COMMIT" || word == "END") return TransactionControl::commit;
  if (word == "ROLLBACK" || word == "ABORT") return TransactionControl::rollback;
  return TransactionControl::none;
}

void for_each_statement(std::string_view sql, const std::function<void(std::string_view)>& each) {
  std::size_t start = 0;
  char quote = '\0';
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != '\0') {
      if (c == quote) quote = '\0';
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == ';') {
      each(sql.substr(start, i - start));
      start = i + 1;
    }
  }
  const auto last = sql.substr(start);
  if (last.find_first_not_of(" \t\r\n") != std::string_view::npos) each(last);
}

}  // namespace test_support::pg_wire
