#include "oban/db/identifiers.hpp"

namespace oban::db {
namespace {
std::string quote_with(std::string_view text, char quote) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back(quote);
  for (char c : text) {
    if (c == quote) out.push_back(quote);
    out.push_back(c);
  }
  out.push_back(quote);
  return out;
}
}  // namespace

std::string quote_ident(std::string_view name) { return quote_with(name, '"'); }
std::string quote_literal(std::string_view text) { return quote_with(text, '\''); }

std::string qualified(std::string_view prefix, std::string_view table) {
  return quote_ident(prefix) + "." + std::string{table};
}

std::string channel(std::string_view prefix, std::string_view name) {
  return std::string{prefix} + ".oban_" + std::string{name};
}

}  // namespace oban::db
