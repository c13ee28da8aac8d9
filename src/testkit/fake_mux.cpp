#include "testkit/fake_mux.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <thread>

#include "fake_mux_script.hpp"

namespace testkit {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr int kServerThreads = 2;

std::string_view to_std(beast::string_view text) { return {text.data(), text.size()}; }

// One connection: read a request, maybe wait, answer, repeat while keep-alive. Only one
// operation is ever pending, so the session needs no lock of its own.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, FakeMuxScript& script)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), script_(script) {}

  void start() { read_request(); }

 private:
  void read_request() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) return close();
    const auto answer = script_.answer(to_std(request_.method_string()), to_std(request_.target()),
                                       to_std(request_[http::field::authorization]));
    response_ = {};
    response_.version(request_.version());
    response_.result(static_cast<unsigned>(answer.status));
    response_.set(http::field::server, "fake-mux");
    response_.set(http::field::content_type, "application/json");
    if (answer.retry_after_seconds) {
      response_.set(http::field::retry_after, std::to_string(*answer.retry_after_seconds));
    }
    response_.keep_alive(request_.keep_alive());
    response_.body() = answer.body;
    response_.prepare_payload();
    if (answer.delay.count() <= 0) return write_response();
    timer_.expires_after(answer.delay);
    timer_.async_wait([self = shared_from_this()](beast::error_code) { self->write_response(); });
  }

  void write_response() {
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->response_.keep_alive()) return self->close();
      self->read_request();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  FakeMuxScript& script_;  // owned by the Server, which outlives every session
};

}  // namespace

class FakeMux::Server {
 public:
  Server(std::string token_id, std::string token_secret)
      : script_(std::move(token_id), std::move(token_secret)),
        acceptor_(asio::make_strand(ioc_), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept();
    for (int i = 0; i < kServerThreads; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }

  ~Server() {
    // Pending handlers (and the sessions they keep alive) die with ioc_, after the join.
    ioc_.stop();
    for (auto& thread : threads_) thread.join();
  }

  FakeMuxScript& script() { return script_; }
  int port() const { return port_; }

 private:
  void accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), script_)->start();
      accept();
    });
  }

  FakeMuxScript script_;
  asio::io_context ioc_{kServerThreads};
  tcp::acceptor acceptor_;  // used only from server threads after construction
  int port_ = 0;
  std::vector<std::thread> threads_;
};

FakeMux::FakeMux(std::string token_id, std::string token_secret)
    : server_(std::make_unique<Server>(std::move(token_id), std::move(token_secret))) {}

FakeMux::~FakeMux() = default;

int FakeMux::port() const { return server_->port(); }

std::string FakeMux::base_url() const { return "http://127.0.0.1:" + std::to_string(port()); }

void FakeMux::set_asset(const std::string& id, std::string status, std::vector<std::string> playback_ids) {
  server_->script().set_asset(id, std::move(status), std::move(playback_ids));
}

void FakeMux::set_not_found(const std::string& id) { server_->script().set_not_found(id); }

void FakeMux::set_rate_limited(const std::string& id, int retry_after_seconds, int times) {
  server_->script().set_rate_limited(id, retry_after_seconds, times);
}

void FakeMux::set_server_error(const std::string& id, int status, int times) {
  server_->script().set_server_error(id, status, times);
}

void FakeMux::set_delay(const std::string& id, std::chrono::milliseconds delay) {
  server_->script().set_delay(id, delay);
}

void FakeMux::set_raw_response(const std::string& id, int status, std::string body) {
  server_->script().set_raw_response(id, status, std::move(body));
}

int FakeMux::request_count() const { return server_->script().request_count(); }

int FakeMux::request_count(const std::string& id) const { return server_->script().request_count(id); }

std::vector<FakeMux::TimePoint> FakeMux::request_times() const { return server_->script().request_times(); }

std::vector<FakeMux::TimePoint> FakeMux::request_times(const std::string& id) const {
  return server_->script().request_times(id);
}

}  // namespace testkit
