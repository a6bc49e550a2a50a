#include "client/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace mp::client::testing {
namespace {

int BindLoopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot bind 127.0.0.1:0");
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

int ClosedPort() {
  int port = 0;
  ::close(BindLoopback(&port));
  return port;
}

TestHttpServer::TestHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = BindLoopback(&port_);
  if (::listen(listen_fd_, 16) != 0) throw std::runtime_error("cannot listen");
  thread_ = std::thread([this] { Serve(); });
}

TestHttpServer::~TestHttpServer() {
  stopping_ = true;
  // Wake the thread wherever it blocks: in accept, or reading a connection
  // a client keeps alive.
  ::shutdown(listen_fd_, SHUT_RDWR);
  int fd = connection_fd_.load();
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  thread_.join();
  ::close(listen_fd_);
}

std::vector<RecordedRequest> TestHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void TestHttpServer::Serve() {
  asio::io_context ioc;
  while (!stopping_) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    ++connections_;
    connection_fd_ = fd;
    if (stopping_) ::shutdown(fd, SHUT_RDWR);
    asio::ip::tcp::socket socket(ioc, asio::ip::tcp::v4(), fd);
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (true) {
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) break;
      RecordedRequest recorded{
          std::string(req.method_string()), std::string(req.target()), {}, req.body()};
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(c));
        recorded.headers[name] = std::string(field.value());
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(recorded);
      }
      CannedReply reply = handler_(recorded);
      http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
      if (!reply.body.empty()) res.set(http::field::content_type, "application/json");
      res.body() = reply.body;
      res.keep_alive(!reply.close);
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || reply.close || reply.hang_up_silently) break;
    }
    connection_fd_ = -1;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }
}

}  // namespace mp::client::testing
