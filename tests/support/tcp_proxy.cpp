#include "support/tcp_proxy.hpp"

#include <array>
#include <cctype>
#include <atomic>
#include <future>
#include <map>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "support/pg_wire.hpp"

namespace test_support {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

bool starts_with_listen(std::string_view sql) {
  const auto start = sql.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || sql.size() - start < 6) return false;
  std::string word{sql.substr(start, 6)};
  for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return word == "LISTEN";
}

}  // namespace

// Everything below runs on the proxy's one io thread, except where a comment says otherwise.
class TcpProxy::Impl {
 public:
  class Connection;

  Impl(const std::string& host, int port)
      : target_(asio::ip::make_address(host), static_cast<unsigned short>(port)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl();

  // Runs `f` on the io thread and returns once it ran (called from test threads).
  template <typename F>
  void run(F f) {
    std::promise<void> done;
    auto finished = done.get_future();
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    finished.wait();
  }

  int port() const { return acceptor_.local_endpoint().port(); }

  // The rule, asked by connections.
  bool rule_matches(std::string_view sql) const { return rule_remaining_ > 0 && rule_ && rule_(sql); }
  bool take_firing() {
    if (rule_remaining_ <= 0) return false;
    --rule_remaining_;
    return true;
  }

  void for_each_open(const std::function<void(Connection&)>& f);
  void acceptor_close() {
    run([this] {
      error_code ignored;
      acceptor_.close(ignored);
    });
  }

  std::atomic<int> accepted{0};
  std::atomic<int> fired{0};
  bool silence_new = false;
  StatementMatcher rule_;
  int rule_remaining_ = 0;

 private:
  void accept();

  asio::io_context io_{1};
  tcp::endpoint target_;
  tcp::acceptor acceptor_;
  std::vector<std::weak_ptr<Connection>> connections_;
  std::thread thread_;
};

// One client connection and its server connection. Each direction is one loop: read a
// chunk, look at the messages it completes, forward it whole, read again.
class TcpProxy::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl& proxy, tcp::socket client)
      : proxy_(proxy), client_(std::move(client)), server_(client_.get_executor()) {}

  void start(const tcp::endpoint& target, bool silenced) {
    error_code ignored;
    client_.set_option(tcp::no_delay(true), ignored);
    if (silenced) {
      // Accepted and never answered: a connect that hangs after the TCP handshake.
      silenced_ = true;
      read_client();
      return;
    }
    server_.async_connect(target, [self = shared_from_this()](error_code ec) {
      if (ec) return self->close();
      error_code ignored_too;
      self->server_.set_option(tcp::no_delay(true), ignored_too);
      self->read_client();
      self->read_server();
    });
  }

  void close() {
    closed_ = true;
    error_code ignored;
    client_.close(ignored);
    server_.close(ignored);
  }
  void silence() { silenced_ = true; }
  bool open() const { return !closed_; }
  bool listener() const { return listener_; }

 private:
  void read_client() {
    client_.async_read_some(asio::buffer(client_buffer_),
                            [self = shared_from_this()](error_code ec, std::size_t n) { self->on_client(ec, n); });
  }

  void read_server() {
    server_.async_read_some(asio::buffer(server_buffer_),
                            [self = shared_from_this()](error_code ec, std::size_t n) { self->on_server(ec, n); });
  }

  void on_client(error_code ec, std::size_t n) {
    if (ec || closed_) return close();  // the client itself went away: nothing to hide
    if (silenced_) return read_client();  // swallowed
    from_client_.feed({client_buffer_.data(), n}, [this](const pg_wire::Message& m) { inspect_client(m); });
    if (fire_pending_) {
      fire_pending_ = false;
      withholding_ = true;  // the answer to what we forward now never reaches the client
    }
    asio::async_write(server_, asio::buffer(client_buffer_.data(), n),
                      [self = shared_from_this()](error_code write_ec, std::size_t) {
                        if (write_ec) {
                          if (!self->silenced_) self->close();
                          return;
                        }
                        self->read_client();
                      });
  }

  void on_server(error_code ec, std::size_t n) {
    if (closed_) return;
    if (ec) {
      if (!silenced_) close();  // a silenced client must not learn the server went away
      return;
    }
    if (silenced_) return read_server();
    bool ready = false;
    from_server_.feed({server_buffer_.data(), n}, [&](const pg_wire::Message& m) {
      if (m.type == 'Z') ready = true;
    });
    if (withholding_) {
      // The server answered up to ReadyForQuery: the commit is done. Hang up on the client.
      if (ready) {
        proxy_.fired.fetch_add(1);
        return close();
      }
      return read_server();
    }
    asio::async_write(client_, asio::buffer(server_buffer_.data(), n),
                      [self = shared_from_this()](error_code write_ec, std::size_t) {
                        if (write_ec) return self->close();
                        self->read_server();
                      });
  }

  void inspect_client(const pg_wire::Message& message) {
    std::size_t at = 0;
    switch (message.type) {
      case '\0':
        if (message.code == pg_wire::kSslRequest || message.code == pg_wire::kGssEncRequest) {
          from_server_.expect_single_byte_reply();
        }
        break;
      case 'Q':  // simple Query: one or more statements
        pg_wire::for_each_statement(pg_wire::cstring(message.body, at),
                                    [this](std::string_view sql) { on_statement(sql); });
        break;
      case 'P': {  // Parse: statement name, SQL
        auto name = pg_wire::cstring(message.body, at);
        statements_[name] = pg_wire::cstring(message.body, at);
        break;
      }
      case 'B': {  // Bind: portal name, statement name
        auto portal = pg_wire::cstring(message.body, at);
        portals_[portal] = statements_[pg_wire::cstring(message.body, at)];
        break;
      }
      case 'E':  // Execute: portal name
        on_statement(portals_[pg_wire::cstring(message.body, at)]);
        break;
      default:
        break;
    }
  }

  void on_statement(std::string_view sql) {
    if (starts_with_listen(sql)) listener_ = true;
    switch (pg_wire::transaction_control(sql)) {
      case pg_wire::TransactionControl::begin:
        in_transaction_ = true;
        matched_in_transaction_ = false;
        break;
      case pg_wire::TransactionControl::commit:
        if (in_transaction_ && matched_in_transaction_ && proxy_.take_firing()) fire_pending_ = true;
        in_transaction_ = false;
        matched_in_transaction_ = false;
        break;
      case pg_wire::TransactionControl::rollback:
        in_transaction_ = false;
        matched_in_transaction_ = false;
        break;
      case pg_wire::TransactionControl::none:
        if (!proxy_.rule_matches(sql)) break;
        if (in_transaction_) {
          matched_in_transaction_ = true;
        } else if (proxy_.take_firing()) {
          fire_pending_ = true;  // autocommit: the statement is its own commit
        }
        break;
    }
  }

  Impl& proxy_;
  tcp::socket client_;
  tcp::socket server_;
  std::array<char, 16384> client_buffer_{};
  std::array<char, 16384> server_buffer_{};
  pg_wire::Reader from_client_{pg_wire::Reader::Side::client};
  pg_wire::Reader from_server_{pg_wire::Reader::Side::server};
  std::map<std::string, std::string> statements_;  // prepared statement name -> SQL
  std::map<std::string, std::string> portals_;     // portal name -> SQL
  bool closed_ = false;
  bool silenced_ = false;
  bool listener_ = false;
  bool in_transaction_ = false;
  bool matched_in_transaction_ = false;
  bool fire_pending_ = false;
  bool withholding_ = false;
};

void TcpProxy::Impl::accept() {
  acceptor_.async_accept(io_, [this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      accepted.fetch_add(1);
      auto connection = std::make_shared<Connection>(*this, std::move(socket));
      std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
      connections_.push_back(connection);
      connection->start(target_, silence_new);
    }
    accept();
  });
}

TcpProxy::Impl::~Impl() {
  run([this] { for_each_open([](Connection& c) { c.close(); }); });
  acceptor_close();
  io_.stop();
  thread_.join();
}

void TcpProxy::Impl::for_each_open(const std::function<void(Connection&)>& f) {
  for (auto& weak : connections_) {
    if (auto connection = weak.lock(); connection && connection->open()) f(*connection);
  }
}

TcpProxy::TcpProxy(std::string target_host, int target_port)
    : impl_(std::make_unique<Impl>(target_host, target_port)) {}

TcpProxy::~TcpProxy() = default;

int TcpProxy::port() const { return impl_->port(); }

void TcpProxy::pass_through() {
  impl_->run([this] { impl_->silence_new = false; });
}

void TcpProxy::drop_all() {
  impl_->run([this] { impl_->for_each_open([](Impl::Connection& c) { c.close(); }); });
}

void TcpProxy::silence_all() {
  impl_->run([this] {
    impl_->silence_new = true;
    impl_->for_each_open([](Impl::Connection& c) { c.silence(); });
  });
}

void TcpProxy::silence_listeners() {
  impl_->run([this] {
    impl_->for_each_open([](Impl::Connection& c) {
      if (c.listener()) c.silence();
    });
  });
}

void TcpProxy::drop_after_commit(StatementMatcher matches, int times) {
  impl_->run([&] {
    impl_->rule_ = std::move(matches);
    impl_->rule_remaining_ = times;
  });
}

void TcpProxy::disarm() {
  impl_->run([this] { impl_->rule_remaining_ = 0; });
}

int TcpProxy::drops_fired() const { return impl_->fired.load(); }

int TcpProxy::connections_accepted() const { return impl_->accepted.load(); }

int TcpProxy::connections_open() const {
  int count = 0;
  impl_->run([&] { impl_->for_each_open([&](Impl::Connection&) { ++count; }); });
  return count;
}

int TcpProxy::listener_connections() const {
  int count = 0;
  impl_->run([&] {
    impl_->for_each_open([&](Impl::Connection& c) { count += c.listener() ? 1 : 0; });
  });
  return count;
}

}  // namespace test_support
