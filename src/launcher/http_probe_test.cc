// CheckHttpHealth against real sockets: a healthy answer, an error answer,
// nothing listening, and a service that accepts but never answers.
#include "launcher/http_probe.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <string>
#include <thread>

namespace mp::launcher {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Accepts one connection on a free loopback port; answers its request with
// `reply`, or holds it open without a word when `reply` is empty.
class OneShotServer {
 public:
  explicit OneShotServer(std::string reply)
      : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    thread_ = std::thread([this, reply = std::move(reply)] {
      boost::system::error_code ec;
      tcp::socket socket = acceptor_.accept(ec);
      if (ec) return;
      asio::streambuf request;
      asio::read_until(socket, request, "\r\n\r\n", ec);
      if (!reply.empty()) {
        asio::write(socket, asio::buffer(reply), ec);
        return;
      }
      // Silent until the client hangs up.
      char byte;
      socket.read_some(asio::buffer(&byte, 1), ec);
    });
  }
  ~OneShotServer() { thread_.join(); }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

TEST(HttpProbeTest, AHealthyAnswerIsOk) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  Status s = CheckHttpHealth(server.address());
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(HttpProbeTest, AnErrorAnswerIsUnavailable) {
  OneShotServer server("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
  EXPECT_EQ(CheckHttpHealth(server.address()).code(), StatusCode::kUnavailable);
}

TEST(HttpProbeTest, NothingListeningIsUnavailable) {
  std::string address;
  {
    OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    address = server.address();
    EXPECT_TRUE(CheckHttpHealth(address).ok());
  }
  EXPECT_EQ(CheckHttpHealth(address).code(), StatusCode::kUnavailable);
}

// The launcher probes every component in turn: one that accepts and then
// says nothing must cost it a second, not stop it.
TEST(HttpProbeTest, ASilentServiceTimesOut) {
  OneShotServer server("");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(CheckHttpHealth(server.address()).code(), StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(HttpProbeTest, AnAddressWithoutPortIsRefused) {
  EXPECT_EQ(CheckHttpHealth("localhost").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mp::launcher
