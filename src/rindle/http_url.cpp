#include "http_url.hpp"

#include <stdexcept>

namespace rindle {

namespace {

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool is_valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  int value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value >= 1 && value <= 65535;
}

[[noreturn]] void reject(const char* why) {
  throw std::invalid_argument(std::string("invalid Mux base URL: ") + why);
}

}  // namespace

HttpUrl parse_http_url(std::string_view url) {
  HttpUrl parsed;
  constexpr std::string_view kHttps = "https://";
  constexpr std::string_view kHttp = "http://";
  if (url.substr(0, kHttps.size()) == kHttps) {
    url.remove_prefix(kHttps.size());
    parsed.port = "443";
  } else if (url.substr(0, kHttp.size()) == kHttp) {
    url.remove_prefix(kHttp.size());
    parsed.tls = false;
    parsed.port = "80";
  } else {
    reject("scheme must be http:// or https://");
  }

  const auto path_start = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : url.substr(path_start);
  if (authority.find('@') != std::string_view::npos) reject("credentials belong in the token settings");
  if (path.find_first_of("?#") != std::string_view::npos) reject("query or fragment not allowed");
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  parsed.path_prefix = std::string(path);

  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  const bool bracketed = !authority.empty() && authority.front() == '[';
  if (bracketed) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) reject("unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') reject("unexpected text after IPv6 literal");
      has_port = true;
      port = rest.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    has_port = true;
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) reject("missing host");
  if (has_port && !is_valid_port(port)) reject("port must be 1-65535");
  parsed.host = std::string(host);
  const bool default_port = port.empty() || port == parsed.port;
  if (!port.empty()) parsed.port = std::string(port);
  const std::string host_text = bracketed ? "[" + parsed.host + "]" : parsed.host;
  parsed.host_header = default_port ? host_text : host_text + ":" + parsed.port;
  return parsed;
}

std::string percent_encode_path_segment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(segment.size());
  for (const char c : segment) {
    if (is_unreserved(c)) {
      encoded += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      encoded += '%';
      encoded += kHex[byte >> 4];
      encoded += kHex[byte & 0x0F];
    }
  }
  return encoded;
}

}  // namespace rindle
