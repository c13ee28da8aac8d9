#include "oban/json/json_value.hpp"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "oban/json/json_writer.hpp"

namespace oban::json {
namespace {

void write_to(std::string& out, const Value& value) {
  switch (value.kind()) {
    case Value::Kind::null: out += "null"; return;
    case Value::Kind::boolean: out += *value.if_bool() ? "true" : "false"; return;
    case Value::Kind::integer: out += std::to_string(*value.if_integer()); return;
    case Value::Kind::number: {
      const double d = *value.if_number();
      if (!std::isfinite(d)) {  // JSON has no NaN or infinity
        out += "null";
        return;
      }
      // The shortest text that reads back as the same double, so 0.1 stays 0.1 (jsonb
      // compares numbers by value: 0.10000000000000001 would not match an Elixir 0.1).
      char buffer[32];
      const auto written = std::to_chars(buffer, buffer + sizeof buffer, d);
      std::string text{buffer, written.ptr};
      // Keep a float a float when read back (Elixir tells 1 from 1.0).
      if (text.find_first_of(".eE") == std::string::npos) text += ".0";
      out += text;
      return;
    }
    case Value::Kind::string: out += quote(*value.if_string()); return;
    case Value::Kind::raw: out += *value.if_raw(); return;
    case Value::Kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : *value.if_array()) {
        if (!first) out.push_back(',');
        first = false;
        write_to(out, item);
      }
      out.push_back(']');
      return;
    }
    case Value::Kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, item] : *value.if_object()) {
        if (!first) out.push_back(',');
        first = false;
        out += quote(key);
        out.push_back(':');
        write_to(out, item);
      }
      out.push_back('}');
      return;
    }
  }
}

Value convert(simdjson::dom::element element) {
  using Type = simdjson::dom::element_type;
  switch (element.type()) {
    case Type::OBJECT: {
      Value::Object object;
      for (auto field : simdjson::dom::object(element)) object[std::string{field.key}] = convert(field.value);
      return object;
    }
    case Type::ARRAY: {
      Value::Array array;
      for (auto item : simdjson::dom::array(element)) array.push_back(convert(item));
      return array;
    }
    case Type::STRING: return std::string{std::string_view(element)};
    case Type::INT64: return static_cast<std::int64_t>(int64_t(element));
    case Type::UINT64: return static_cast<double>(uint64_t(element));  // beyond int64: as JSON's number
    case Type::DOUBLE: return double(element);
    case Type::BOOL: return bool(element);
    case Type::NULL_VALUE: return Value{};
  }
  return Value{};
}

}  // namespace

std::string write(const Value& value) {
  std::string out;
  write_to(out, value);
  return out;
}

Value parse(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded{text};
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root)) {
    throw std::invalid_argument(std::string{"invalid JSON: "} + simdjson::error_message(error));
  }
  return convert(root);
}

}  // namespace oban::json
