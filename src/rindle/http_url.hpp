#pragma once
// Private to the rindle library: the pieces of a base URL the Mux client needs.
#include <string>
#include <string_view>

namespace rindle {

struct HttpUrl {
  bool tls = true;          // https (true) or http (false)
  std::string host;         // without brackets for IPv6 literals
  std::string port;         // "443" / "80" when the URL names none
  std::string host_header;  // Host header value: host, plus ":port" when not the default
  std::string path_prefix;  // "" or "/prefix" without a trailing slash
};

// Throws std::invalid_argument for anything but http(s)://host[:port][/path]. The
// message never repeats the URL, since a URL may carry credentials.
HttpUrl parse_http_url(std::string_view url);

// Percent-encodes everything but RFC 3986 unreserved characters, so an id can never
// add path segments, a query or a fragment.
std::string percent_encode_path_segment(std::string_view segment);

}  // namespace rindle
