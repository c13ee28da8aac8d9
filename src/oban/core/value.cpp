#include "oban/core/value.hpp"

namespace oban {

Value Value::raw_json(std::string json) {
  Value value;
  value.data_ = Raw{std::move(json)};
  return value;
}

Value::Kind Value::kind() const {
  switch (data_.index()) {
    case 0: return Kind::null;
    case 1: return Kind::boolean;
    case 2: return Kind::integer;
    case 3: return Kind::number;
    case 4: return Kind::string;
    case 5: return Kind::array;
    case 6: return Kind::object;
    default: return Kind::raw;
  }
}

const std::string* Value::if_raw() const {
  const auto* raw = std::get_if<Raw>(&data_);
  return raw ? &raw->json : nullptr;
}

const Value* Value::find(std::string_view key) const {
  const auto* object = if_object();
  if (!object) return nullptr;
  const auto found = object->find(key);
  return found == object->end() ? nullptr : &found->second;
}

}  // namespace oban
