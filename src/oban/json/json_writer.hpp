#pragma once
// Small helpers to write JSON text. Strings are escaped per RFC 8259 and made safe for
// jsonb (invalid UTF-8 and NUL become U+FFFD).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oban/core/value.hpp"

namespace oban::json {

// `"text"` with quotes and escapes.
std::string quote(std::string_view text);

// Builds a JSON object member by member, in insertion order.
class ObjectWriter {
 public:
  ObjectWriter& add(std::string_view key, std::string_view value);  // string value
  ObjectWriter& add(std::string_view key, const char* value) { return add(key, std::string_view{value}); }
  ObjectWriter& add(std::string_view key, std::int64_t value);
  ObjectWriter& add(std::string_view key, int value) { return add(key, static_cast<std::int64_t>(value)); }
  ObjectWriter& add(std::string_view key, bool value);
  ObjectWriter& add_value(std::string_view key, const Value& value);  // any JSON value: arrays, objects...
  ObjectWriter& add_raw(std::string_view key, std::string_view json);  // already-encoded JSON
  std::string str() const;

 private:
  std::string body_;
};

// A JSON array of strings: ["a","b"].
std::string string_array(const std::vector<std::string>& items);

}  // namespace oban::json
