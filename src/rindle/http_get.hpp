#pragma once
// Private to the rindle library: one HTTP/1.1 GET over a fresh connection, so the Mux
// client's headers stay free of Boost.Beast.
#include <chrono>
#include <optional>
#include <stop_token>
#include <string>

#include "http_url.hpp"

namespace rindle {

struct HttpGetRequest {
  HttpUrl url;
  std::string target;         // origin-form path, already percent-encoded
  std::string authorization;  // Authorization header value; never logged or echoed
  std::chrono::milliseconds connect_timeout{5000};  // resolve + connect + TLS handshake
  std::chrono::milliseconds read_timeout{15000};    // write the request + read the answer
  std::stop_token stop;  // requested: the exchange is abandoned at once (the job was stopped)
};

struct HttpGetResult {
  // Set when no complete HTTP answer arrived; then the other fields are empty.
  std::optional<std::string> transport_error;
  int status = 0;
  std::string retry_after;  // the Retry-After header, verbatim, or ""
  std::string body;
};

// Never throws for network, TLS or HTTP failures; they come back as values. An answer
// longer than 8 MiB is refused: at its header when it declares its length, unread.
HttpGetResult http_get(const HttpGetRequest& request);

}  // namespace rindle
