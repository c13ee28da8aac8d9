#pragma once
// A read-only view of a JSON object (job args, meta, notifier payloads), parsed with
// simdjson. Keeps simdjson out of every other header.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oban::json {

class JsonObject {
 public:
  // Parses `text`; throws std::invalid_argument when it is not valid JSON or not an object.
  static JsonObject parse(std::string_view text);

  JsonObject(JsonObject&&) noexcept;
  JsonObject& operator=(JsonObject&&) noexcept;
  ~JsonObject();

  bool has(std::string_view key) const;
  std::optional<std::string> string(std::string_view key) const;
  std::optional<std::int64_t> integer(std::string_view key) const;
  std::optional<double> number(std::string_view key) const;   // integer or float
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<JsonObject> object(std::string_view key) const;
  // The raw JSON text of a member (any type), nullopt when absent.
  std::optional<std::string> raw(std::string_view key) const;
  std::vector<std::string> keys() const;
  const std::string& text() const;  // the whole object as given

 private:
  struct Impl;
  explicit JsonObject(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace oban::json
