// HTTPS on the REST listener (HttpServerOptions::tls_cert): a real
// HttpServer on loopback, real TLS clients.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "client/http_client.h"
#include "http/router.h"
#include "http/server.h"
#include "tls/ssl_context.h"
#include "tls/tls_testing.h"

namespace mp::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

class HttpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Any server certificate of the test CA names 127.0.0.1.
    tls::TlsFiles files = pki_.Files(tls::kPayment);
    server_ =
        std::make_unique<HttpServer>(HttpServerOptions{.listen = "127.0.0.1:0",
                                                       .threads = 1,
                                                       .read_timeout = std::chrono::seconds(1),
                                                       .tls_cert = files.cert,
                                                       .tls_key = files.key},
                                     router_);
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  // The status of GET /metrics, twice on one TLS connection from a client
  // that trusts the test CA for `host`.
  std::vector<int> GetTwice(const std::string& host) {
    auto context = tls::NewClientContext({.ca = pki_.Files(tls::kPayment).ca}, host);
    EXPECT_TRUE(context.ok()) << context.status().ToString();
    SSL_CTX_up_ref(context->get());
    asio::ssl::context ssl(context->get());
    asio::io_context ioc;
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ssl);
    beast::get_lowest_layer(stream).connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    std::vector<int> statuses;
    beast::error_code ec;
    stream.handshake(asio::ssl::stream_base::client, ec);
    if (ec) return statuses;
    for (int i = 0; i < 2; ++i) {
      bhttp::request<bhttp::empty_body> req(bhttp::verb::get, "/metrics", 11);
      req.set(bhttp::field::host, host);
      bhttp::write(stream, req, ec);
      beast::flat_buffer buffer;
      bhttp::response<bhttp::string_body> res;
      if (!ec) bhttp::read(stream, buffer, res, ec);
      if (ec) break;
      statuses.push_back(res.result_int());
    }
    return statuses;
  }

  tls::testing::TestPki pki_;
  Router router_{"test"};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpsServerTest, ServesRequestsOverTls) {
  EXPECT_EQ(GetTwice("127.0.0.1"), (std::vector<int>{200, 200}));
  EXPECT_EQ(GetTwice("localhost"), (std::vector<int>{200, 200}));
}

TEST_F(HttpsServerTest, AClientChecksTheCertificatesHost) {
  EXPECT_TRUE(GetTwice("marketplace.example").empty());
}

TEST_F(HttpsServerTest, APlaintextRequestGetsNoAnswer) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string answer;
  beast::error_code ec;
  char buf[512];
  for (size_t n; (n = socket.read_some(asio::buffer(buf), ec)) > 0 && !ec;) answer.append(buf, n);
  EXPECT_EQ(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_TRUE(ec) << "the server closes the connection";
}

TEST_F(HttpsServerTest, AStalledHandshakeIsCutOffAtTheReadTimeout) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  auto start = std::chrono::steady_clock::now();
  char buf[16];
  beast::error_code ec;
  socket.read_some(asio::buffer(buf), ec);  // nothing sent: the server must hang up
  EXPECT_TRUE(ec);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// The CLIs' client (src/client) with an https:// server and --ca.
TEST_F(HttpsServerTest, TheCliClientSpeaksHttpsWithItsCa) {
  client::HttpRequest metrics;
  metrics.target = "/metrics";
  std::string port = std::to_string(server_->port());
  auto servers =
      client::ParseServerList("https://127.0.0.1:" + port + ",https://localhost:" + port);
  ASSERT_TRUE(servers.ok());
  client::HttpClient trusting({.servers = *servers, .ca_file = pki_.Files(tls::kPayment).ca});
  for (int i = 0; i < 2; ++i) {
    auto reply = trusting.Send(metrics);
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_EQ(reply->status, 200);
  }
  // Without the CA (the system's trust store) the certificate is refused.
  client::HttpClient system({.servers = *servers});
  auto reply = system.Send(metrics);
  EXPECT_EQ(reply.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(reply.status().message().find("certificate verify failed"), std::string::npos)
      << reply.status().ToString();
  // An address the certificate does not name (all of 127/8 is loopback).
  tls::TlsFiles files = pki_.Files(tls::kPayment);
  HttpServer unnamed({.listen = "127.0.0.2:0", .tls_cert = files.cert, .tls_key = files.key},
                     router_);
  ASSERT_TRUE(unnamed.Start().ok());
  auto other = client::ParseServerList("https://127.0.0.2:" + std::to_string(unnamed.port()));
  ASSERT_TRUE(other.ok());
  client::HttpClient wrong_host({.servers = *other, .ca_file = files.ca});
  reply = wrong_host.Send(metrics);
  EXPECT_NE(reply.status().message().find("certificate verify failed"), std::string::npos)
      << reply.status().ToString();
}

TEST(HttpsServerStartTest, RefusesFilesItCannotUse) {
  tls::testing::TestPki pki;
  Router router("test");
  HttpServer missing({.listen = "127.0.0.1:0", .tls_cert = "/nonexistent.pem", .tls_key = "x"},
                     router);
  EXPECT_EQ(missing.Start().code(), StatusCode::kFailedPrecondition);
  HttpServer mismatched({.listen = "127.0.0.1:0",
                         .tls_cert = pki.Files(tls::kPayment).cert,
                         .tls_key = pki.Files(tls::kFrontend).key},
                        router);
  EXPECT_EQ(mismatched.Start().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace mp::http
