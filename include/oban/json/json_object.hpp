#pragma once
// A JSON object read from text (job args, meta, notifier payloads): typed lookups of its
// members, arrays and nested values included. It holds an oban::Value, the one in-memory
// JSON type (json/json_value.hpp parses and writes it); simdjson stays in json/.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oban/core/value.hpp"

namespace oban::json {

class JsonObject {
 public:
  // Parses `text`; throws std::invalid_argument when it is not valid JSON or not an object.
  static JsonObject parse(std::string_view text);
  // An object already in memory; throws std::invalid_argument when `value` is not an object.
  explicit JsonObject(Value value);

  bool has(std::string_view key) const;
  // Each lookup is nullopt (or nullptr) when the member is absent or of another type.
  std::optional<std::string> string(std::string_view key) const;
  std::optional<std::int64_t> integer(std::string_view key) const;
  std::optional<double> number(std::string_view key) const;   // integer or float
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<JsonObject> object(std::string_view key) const;
  const Value::Array* array(std::string_view key) const;
  // Any member, of any type.
  const Value* get(std::string_view key) const;
  // The JSON text of a member (any type), nullopt when absent.
  std::optional<std::string> raw(std::string_view key) const;
  std::vector<std::string> keys() const;  // sorted
  const Value& value() const { return value_; }
  const Value::Object& members() const { return *value_.if_object(); }
  const std::string& text() const { return text_; }  // the whole object as given

 private:
  JsonObject(Value value, std::string text);
  Value value_;
  std::string text_;
};

}  // namespace oban::json
