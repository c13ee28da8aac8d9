#pragma once
// Names in SQL: the prefix (schema) is always quoted, so any prefix works, quotes included.
#include <string>
#include <string_view>

namespace oban::db {

// "name" with embedded double quotes doubled.
std::string quote_ident(std::string_view name);
// 'text' with embedded single quotes doubled.
std::string quote_literal(std::string_view text);
// "prefix".table
std::string qualified(std::string_view prefix, std::string_view table);
// The notifier channel "<prefix>.oban_<name>" (the prefix raw, as Oban builds it).
std::string channel(std::string_view prefix, std::string_view name);

}  // namespace oban::db
