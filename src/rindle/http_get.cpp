#include "http_get.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <spdlog/fmt/fmt.h>

namespace rindle {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Asset JSON is a few KiB; anything near this is not an asset.
constexpr std::uint64_t kBodyLimit = 8 * 1024 * 1024;
constexpr const char* kUserAgent = "oban-cpp-rindle/0.1";

// Starts one async operation and runs the io_context until it completes, or until `stop`
// is requested (then operation_aborted). Each call has its own io_context, so async
// operations are used only to get Beast's timeouts and a way to abandon an exchange.
template <class Start>
beast::error_code run_until_done(asio::io_context& ioc, const std::stop_token& stop, Start&& start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  // A stop requested from here on makes run() return (the stop callback stops the context).
  if (stop.stop_requested()) return asio::error::operation_aborted;
  ioc.run();
  if (result == asio::error::would_block) return asio::error::operation_aborted;
  return result;
}

HttpGetResult failed(std::string message) {
  HttpGetResult result;
  result.transport_error = std::move(message);
  return result;
}

std::string describe(std::string_view stage, const beast::error_code& ec,
                     std::chrono::milliseconds timeout) {
  if (ec == asio::error::operation_aborted) return fmt::format("{} abandoned: the job was stopped", stage);
  if (ec == beast::error::timeout || ec == asio::error::timed_out) {
    return fmt::format("{} timed out after {} ms", stage, timeout.count());
  }
  return fmt::format("{} failed: {}", stage, ec.message());
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Sends the request and reads the answer on a connected (and, for https, handshaken)
// stream; one deadline covers both, so a server that trickles bytes cannot stall us.
template <class Stream>
HttpGetResult exchange(asio::io_context& ioc, Stream& stream, const HttpGetRequest& request) {
  http::request<http::empty_body> message{http::verb::get, request.target, 11};
  message.set(http::field::host, request.url.host_header);
  message.set(http::field::user_agent, kUserAgent);
  message.set(http::field::accept, "application/json");
  message.set(http::field::authorization, request.authorization);
  message.keep_alive(false);

  beast::get_lowest_layer(stream).expires_after(request.read_timeout);
  auto ec = run_until_done(ioc, request.stop,
                           [&](auto handler) { http::async_write(stream, message, std::move(handler)); });
  if (ec) return failed(describe("sending the request", ec, request.read_timeout));

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  // The header first: an answer that declares more than the limit is refused unread.
  ec = run_until_done(ioc, request.stop,
                      [&](auto handler) { http::async_read_header(stream, buffer, parser, std::move(handler)); });
  if (ec == http::error::body_limit || (!ec && parser.content_length() && *parser.content_length() > kBodyLimit)) {
    return failed(fmt::format("the answer declares {} bytes, over the {} MiB limit: not read",
                              parser.content_length().value_or(0), kBodyLimit / (1024 * 1024)));
  }
  if (ec) return failed(describe("reading the response", ec, request.read_timeout));
  ec = run_until_done(ioc, request.stop,
                      [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
  if (ec == http::error::body_limit) {
    return failed(fmt::format("the answer is longer than the {} MiB limit: not read", kBodyLimit / (1024 * 1024)));
  }
  if (ec) return failed(describe("reading the response", ec, request.read_timeout));

  auto& response = parser.get();
  HttpGetResult result;
  result.status = static_cast<int>(response.result_int());
  result.retry_after = std::string(response[http::field::retry_after]);
  result.body = std::move(response.body());
  // No TLS close_notify: the answer is complete and the connection is not reused, so
  // a shutdown round-trip would only add latency.
  return result;
}

}  // namespace

HttpGetResult http_get(const HttpGetRequest& request) {
  const auto& url = request.url;
  const auto deadline = Clock::now() + request.connect_timeout;
  asio::io_context ioc;
  // From any thread: whatever the exchange waits for, it stops waiting.
  const std::stop_callback on_stop{request.stop, [&ioc] { ioc.stop(); }};
  if (request.stop.stop_requested()) return failed("mux request not sent: the job was stopped");

  // Resolution runs on Asio's resolver thread; on timeout we stop waiting for it.
  tcp::resolver resolver(ioc);
  tcp::resolver::results_type endpoints;
  beast::error_code ec = asio::error::would_block;
  resolver.async_resolve(url.host, url.port,
                         [&](beast::error_code resolved_ec, tcp::resolver::results_type results) {
                           ec = resolved_ec;
                           endpoints = std::move(results);
                         });
  ioc.run_for(request.connect_timeout);
  if (request.stop.stop_requested()) {
    resolver.cancel();
    return failed(describe(fmt::format("resolving {}", url.host), asio::error::operation_aborted, request.connect_timeout));
  }
  if (ec == asio::error::would_block) {
    resolver.cancel();
    return failed(describe(fmt::format("resolving {}", url.host), beast::error::timeout,
                           request.connect_timeout));
  }
  if (ec) return failed(describe(fmt::format("resolving {}", url.host), ec, request.connect_timeout));

  const auto connect_stage = fmt::format("connecting to {}:{}", url.host, url.port);
  if (!url.tls) {
    beast::tcp_stream stream(ioc);
    stream.expires_at(deadline);
    ec = run_until_done(ioc, request.stop, [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
    if (ec) return failed(describe(connect_stage, ec, request.connect_timeout));
    return exchange(ioc, stream, request);
  }

  ssl::context tls(ssl::context::tls_client);
  tls.set_default_verify_paths(ec);
  if (ec) return failed(describe("loading the system CA store", ec, request.connect_timeout));
  tls.set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);

  beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
  SSL* native = stream.native_handle();
  // SNI is for names only (RFC 6066); the name check makes verify_peer mean "this host".
  // SSL_set_tlsext_host_name spelled out: the macro's C cast trips -Wold-style-cast.
  void* sni_name = const_cast<char*>(url.host.c_str());
  if (!is_ip_literal(url.host) &&
      SSL_ctrl(native, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, sni_name) != 1) {
    return failed(fmt::format("TLS setup for {} failed: cannot set SNI", url.host));
  }
  if (SSL_set1_host(native, url.host.c_str()) != 1) {
    return failed(fmt::format("TLS setup for {} failed: cannot set the expected name", url.host));
  }

  beast::get_lowest_layer(stream).expires_at(deadline);
  ec = run_until_done(ioc, request.stop, [&](auto handler) {
    beast::get_lowest_layer(stream).async_connect(endpoints, std::move(handler));
  });
  if (ec) return failed(describe(connect_stage, ec, request.connect_timeout));
  ec = run_until_done(ioc, request.stop, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, std::move(handler));
  });
  if (ec) return failed(describe(fmt::format("TLS handshake with {}", url.host), ec, request.connect_timeout));
  return exchange(ioc, stream, request);
}

}  // namespace rindle
