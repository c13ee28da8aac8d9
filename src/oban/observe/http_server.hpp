#pragma once
// A small HTTP/1.1 server on Boost.Beast for the node's own endpoints (/metrics, /healthz,
// /readyz): GET and HEAD only, one thread, every read and write bounded by a timeout, and a
// bounded number of connections at once (more are closed on arrival).
#include <functional>
#include <memory>
#include <string>

namespace oban::observe {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  // Answers one request; `path` has no query string. An exception becomes a 500.
  using Handler = std::function<HttpResponse(const std::string& path)>;

  // Binds `address`:`port` (port 0: any free port) and starts serving. Throws
  // std::runtime_error naming the address when it cannot bind.
  HttpServer(const std::string& address, unsigned short port, Handler handler);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  unsigned short port() const { return port_; }
  void stop() noexcept;  // idempotent; closes every connection

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  unsigned short port_ = 0;
};

}  // namespace oban::observe
