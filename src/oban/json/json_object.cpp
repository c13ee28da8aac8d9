#include "oban/json/json_object.hpp"

#include <simdjson.h>

#include <stdexcept>

namespace oban::json {

struct JsonObject::Impl {
  std::string text;
  simdjson::dom::parser parser;
  simdjson::dom::object object;
};

JsonObject::JsonObject(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonObject::JsonObject(JsonObject&&) noexcept = default;
JsonObject& JsonObject::operator=(JsonObject&&) noexcept = default;
JsonObject::~JsonObject() = default;

JsonObject JsonObject::parse(std::string_view text) {
  auto impl = std::make_unique<Impl>();
  impl->text = std::string{text};
  simdjson::dom::element root;
  if (auto error = impl->parser.parse(impl->text).get(root)) {
    throw std::invalid_argument(std::string{"invalid JSON: "} + simdjson::error_message(error));
  }
  if (root.get_object().get(impl->object) != simdjson::SUCCESS) {
    throw std::invalid_argument("JSON is not an object");
  }
  return JsonObject{std::move(impl)};
}

namespace {
std::optional<simdjson::dom::element> member(const simdjson::dom::object& object, std::string_view key) {
  simdjson::dom::element value;
  if (object.at_key(key).get(value)) return std::nullopt;
  return value;
}
}  // namespace

bool JsonObject::has(std::string_view key) const { return member(impl_->object, key).has_value(); }

std::optional<std::string> JsonObject::string(std::string_view key) const {
  auto value = member(impl_->object, key);
  std::string_view text;
  if (!value || value->get_string().get(text)) return std::nullopt;
  return std::string{text};
}

std::optional<std::int64_t> JsonObject::integer(std::string_view key) const {
  auto value = member(impl_->object, key);
  if (!value) return std::nullopt;
  std::int64_t number = 0;
  if (!value->get_int64().get(number)) return number;
  std::uint64_t unsigned_number = 0;
  if (!value->get_uint64().get(unsigned_number) && unsigned_number <= INT64_MAX) {
    return static_cast<std::int64_t>(unsigned_number);
  }
  return std::nullopt;
}

std::optional<double> JsonObject::number(std::string_view key) const {
  auto value = member(impl_->object, key);
  if (!value) return std::nullopt;
  double number = 0;
  if (!value->get_double().get(number)) return number;
  if (auto whole = integer(key)) return static_cast<double>(*whole);
  return std::nullopt;
}

std::optional<bool> JsonObject::boolean(std::string_view key) const {
  auto value = member(impl_->object, key);
  bool flag = false;
  if (!value || value->get_bool().get(flag)) return std::nullopt;
  return flag;
}

std::optional<JsonObject> JsonObject::object(std::string_view key) const {
  auto value = member(impl_->object, key);
  if (!value || !value->is_object()) return std::nullopt;
  return JsonObject::parse(simdjson::to_string(*value));
}

std::optional<std::string> JsonObject::raw(std::string_view key) const {
  auto value = member(impl_->object, key);
  if (!value) return std::nullopt;
  return simdjson::to_string(*value);
}

std::vector<std::string> JsonObject::keys() const {
  std::vector<std::string> result;
  for (auto field : impl_->object) result.emplace_back(field.key);
  return result;
}

const std::string& JsonObject::text() const { return impl_->text; }

}  // namespace oban::json
