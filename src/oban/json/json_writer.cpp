#include "oban/json/json_writer.hpp"

#include <cstdio>

namespace oban::json {

std::string quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += escaped;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

ObjectWriter& ObjectWriter::add(std::string_view key, std::string_view value) { return add_raw(key, quote(value)); }
ObjectWriter& ObjectWriter::add(std::string_view key, std::int64_t value) { return add_raw(key, std::to_string(value)); }
ObjectWriter& ObjectWriter::add(std::string_view key, bool value) { return add_raw(key, value ? "true" : "false"); }

ObjectWriter& ObjectWriter::add_raw(std::string_view key, std::string_view json) {
  if (!body_.empty()) body_.push_back(',');
  body_ += quote(key);
  body_.push_back(':');
  body_ += json;
  return *this;
}

std::string ObjectWriter::str() const { return "{" + body_ + "}"; }

std::string string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += quote(items[i]);
  }
  out.push_back(']');
  return out;
}

}  // namespace oban::json
