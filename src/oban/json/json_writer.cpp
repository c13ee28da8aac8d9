#include "oban/json/json_writer.hpp"

#include <cstdio>

#include "oban/json/json_value.hpp"

namespace oban::json {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed UTF-8 sequence starting at text[i], or 0 (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

std::string quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const std::size_t length = utf8_sequence_length(text, i);
      if (length == 0) {
        out += kReplacement;  // one replacement per bad byte, as a lenient decoder shows it
      } else {
        out.append(text.substr(i, length));
        i += length - 1;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\0': out += kReplacement; break;  // jsonb refuses \u0000
      default:
        if (u < 0x20 || u == 0x7F) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(u));
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

ObjectWriter& ObjectWriter::add_value(std::string_view key, const Value& value) { return add_raw(key, write(value)); }

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
