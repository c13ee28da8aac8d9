#include "oban/observe/http_server.hpp"

#include <atomic>
#include <optional>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>
#include <thread>

namespace oban::observe {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::chrono::seconds kReadTimeout{10};   // a request must arrive this fast
constexpr std::chrono::seconds kWriteTimeout{10};  // and its answer be taken this fast
constexpr int kMaxConnections = 32;
constexpr std::uint32_t kHeaderLimit = 8 * 1024;

}  // namespace

// Sessions live in the io_context's handlers; the io_context (and with it every session) is
// destroyed with Impl, after the thread has stopped, so sessions may use the Impl they
// were accepted by. The connection count is shared, as sessions end while Impl is torn down.
struct HttpServer::Impl {
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  Handler handler;
  std::shared_ptr<std::atomic<int>> connections = std::make_shared<std::atomic<int>>(0);
  std::thread thread;

  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(tcp::socket socket, Impl& server)
        : stream_(std::move(socket)), server_(server), connections_(server.connections) {}
    ~Session() { --*connections_; }

    void read() {
      parser_.emplace();
      parser_->header_limit(kHeaderLimit);
      parser_->body_limit(0);  // GET and HEAD carry no body
      stream_.expires_after(kReadTimeout);
      http::async_read(stream_, buffer_, *parser_,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

   private:
    void on_read(beast::error_code ec) {
      if (ec) return close();  // closed, timed out, or not HTTP: nothing to answer
      const auto& request = parser_->get();
      response_ = {};
      response_.version(request.version());
      response_.keep_alive(request.keep_alive());
      response_.set(http::field::server, "oban-cpp");
      if (request.method() != http::verb::get && request.method() != http::verb::head) {
        response_.result(http::status::method_not_allowed);
        response_.set(http::field::allow, "GET, HEAD");
        response_.set(http::field::content_type, "text/plain; charset=utf-8");
        response_.body() = "only GET and HEAD are served here\n";
      } else {
        std::string path{request.target()};
        if (const auto query = path.find('?'); query != std::string::npos) path.resize(query);
        HttpResponse answer;
        try {
          answer = server_.handler(path);
        } catch (const std::exception& error) {
          answer = {500, "text/plain; charset=utf-8", std::string{"internal error: "} + error.what() + "\n"};
        }
        response_.result(static_cast<http::status>(answer.status));
        response_.set(http::field::content_type, answer.content_type);
        response_.body() = request.method() == http::verb::head ? std::string{} : std::move(answer.body);
      }
      response_.prepare_payload();
      stream_.expires_after(kWriteTimeout);
      http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
        if (write_ec || !self->response_.keep_alive()) return self->close();
        self->read();
      });
    }

    void close() {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.socket().close(ignored);
    }

    beast::tcp_stream stream_;
    Impl& server_;
    std::shared_ptr<std::atomic<int>> connections_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::empty_body>> parser_;
    http::response<http::string_body> response_;
  };

  void accept() {
    acceptor.async_accept(ioc, [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        if (connections->fetch_add(1) >= kMaxConnections) {
          --*connections;
          beast::error_code ignored;
          socket.close(ignored);
        } else {
          std::make_shared<Session>(std::move(socket), *this)->read();
        }
      }
      accept();
    });
  }
};

HttpServer::HttpServer(const std::string& address, unsigned short port, Handler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  const auto where = address + ":" + std::to_string(port);
  boost::system::error_code bad_address;
  const auto ip = asio::ip::make_address(address, bad_address);
  if (bad_address) {
    throw std::runtime_error("cannot serve HTTP on " + where + ": '" + address +
                             "' is not an IP address (e.g. 127.0.0.1, or 0.0.0.0 for every interface)");
  }
  try {
    const tcp::endpoint endpoint{ip, port};
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(asio::socket_base::max_listen_connections);
    port_ = impl_->acceptor.local_endpoint().port();
  } catch (const std::exception& error) {
    throw std::runtime_error("cannot serve HTTP on " + where + ": " + error.what());
  }
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::stop() noexcept {
  if (!impl_) return;
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_.reset();  // closes the acceptor, then every open connection with the io_context
}

}  // namespace oban::observe
