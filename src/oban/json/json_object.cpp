#include "oban/json/json_object.hpp"

#include <stdexcept>

#include "oban/json/json_value.hpp"

namespace oban::json {

JsonObject::JsonObject(Value value, std::string text) : value_(std::move(value)), text_(std::move(text)) {
  if (!value_.if_object()) throw std::invalid_argument("JSON is not an object");
}

JsonObject::JsonObject(Value value) : JsonObject(value, write(value)) {}

JsonObject JsonObject::parse(std::string_view text) { return JsonObject{json::parse(text), std::string{text}}; }

bool JsonObject::has(std::string_view key) const { return get(key) != nullptr; }

const Value* JsonObject::get(std::string_view key) const { return value_.find(key); }

std::optional<std::string> JsonObject::string(std::string_view key) const {
  const Value* member = get(key);
  if (!member || !member->if_string()) return std::nullopt;
  return *member->if_string();
}

std::optional<std::int64_t> JsonObject::integer(std::string_view key) const {
  const Value* member = get(key);
  if (!member || !member->if_integer()) return std::nullopt;
  return *member->if_integer();
}

std::optional<double> JsonObject::number(std::string_view key) const {
  const Value* member = get(key);
  if (!member) return std::nullopt;
  if (const auto* d = member->if_number()) return *d;
  if (const auto* i = member->if_integer()) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<bool> JsonObject::boolean(std::string_view key) const {
  const Value* member = get(key);
  if (!member || !member->if_bool()) return std::nullopt;
  return *member->if_bool();
}

std::optional<JsonObject> JsonObject::object(std::string_view key) const {
  const Value* member = get(key);
  if (!member || !member->if_object()) return std::nullopt;
  return JsonObject{*member};
}

const Value::Array* JsonObject::array(std::string_view key) const {
  const Value* member = get(key);
  return member ? member->if_array() : nullptr;
}

std::optional<std::string> JsonObject::raw(std::string_view key) const {
  const Value* member = get(key);
  if (!member) return std::nullopt;
  return write(*member);
}

std::vector<std::string> JsonObject::keys() const {
  std::vector<std::string> result;
  for (const auto& [key, member] : members()) result.push_back(key);
  return result;
}

}  // namespace oban::json
