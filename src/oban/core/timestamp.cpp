#include "oban/core/timestamp.hpp"

#include <date/date.h>

#include <sstream>
#include <stdexcept>

namespace oban {

std::string format_sql_timestamp(Timestamp t) {
  return date::format("%Y-%m-%d %H:%M:%S", t);
}

std::string format_iso8601(Timestamp t) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", t);
}

Timestamp parse_sql_timestamp(std::string_view text) {
  std::string normalized{text};
  if (normalized.size() > 10 && normalized[10] == 'T') normalized[10] = ' ';
  if (!normalized.empty() && normalized.back() == 'Z') normalized.pop_back();
  std::istringstream in{normalized};
  Timestamp parsed{};
  in >> date::parse("%Y-%m-%d %H:%M:%S", parsed);
  if (in.fail()) {
    throw std::invalid_argument("not a timestamp: '" + std::string{text} + "'");
  }
  return parsed;
}

}  // namespace oban
