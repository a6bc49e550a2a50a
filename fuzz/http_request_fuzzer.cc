// Fuzzes HTTP request handling end to end, as http/server.cc's Session does
// it: raw bytes (possibly several pipelined requests, arriving in chunks)
// through Beast's request_parser with the server's limits, the request
// target through http::ParseTarget, then Router::Dispatch on the real seller
// and buyer route tables. Their DB and payment clients point at a local port
// that refuses connections, so every handler runs up to its first backend
// call, which then fails as unavailable. Seeds in fuzz/corpus/http_request
// carry tokens signed with kKey, to get past the session checks.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>

#include "buyer_frontend/buyer_routes.h"
#include "buyer_frontend/purchase_saga.h"
#include "common/log.h"
#include "fuzz_check.h"
#include "http/auth.h"
#include "http/frontend.h"
#include "http/router.h"
#include "http/server.h"
#include "http/target.h"
#include "http/token.h"
#include "rpc/customer_db_client.h"
#include "rpc/health_client.h"
#include "rpc/payment_client.h"
#include "rpc/product_db_client.h"
#include "seller_frontend/seller_routes.h"

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace http = mp::http;
namespace rpc = mp::rpc;

namespace {

constexpr char kKey[] = "fuzz-key-0123456789abcdef0123456789abcdef";
// Requests served from one input at most (keep-alive, pipelined).
constexpr int kMaxRequests = 8;

// A loopback port bound but never listening: connections to it are refused
// at once, and no other process can take it while the fuzzer runs.
std::string RefusingAddress() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("http_request_fuzzer: cannot reserve a port");
    std::abort();
  }
  return "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));  // fd stays open
}

// Both frontends, their routes built by the function the servers use.
struct Frontends {
  Frontends()
      : address(RefusingAddress()),
        client_options{.addresses = {address},
                       .channels_per_address = 1,
                       .deadline = std::chrono::milliseconds(2000)},
        customers(client_options),
        products(client_options),
        probe({address}),
        codec(kKey),
        seller_auth(codec, customers, mp::v1::ROLE_SELLER),
        buyer_auth(codec, customers, mp::v1::ROLE_BUYER),
        seller_spec(mp::seller_frontend::SellerFrontend()),
        buyer_spec(mp::buyer_frontend::BuyerFrontend(
            std::make_shared<mp::buyer_frontend::BuyerOptions>(mp::buyer_frontend::BuyerOptions{
                .payment_url = "http://" + address + "/", .purchase_threads = 1}))),
        seller(seller_spec.component, &seller_auth),
        buyer(buyer_spec.component, &buyer_auth) {
    seller_routes = Built(http::AddFrontendRoutes(
        seller, seller_spec, {codec, seller_auth, customers, products, probe, plaintext}));
    buyer_routes = Built(http::AddFrontendRoutes(
        buyer, buyer_spec, {codec, buyer_auth, customers, products, probe, plaintext}));
  }

  static std::shared_ptr<void> Built(mp::StatusOr<std::shared_ptr<void>> routes) {
    if (!routes.ok()) {
      std::fprintf(stderr, "http_request_fuzzer: %s\n", routes.status().ToString().c_str());
      std::abort();
    }
    return *routes;
  }

  std::string address;
  rpc::ClientOptions client_options;
  rpc::CustomerDbClient customers;
  rpc::ProductDbClient products;
  rpc::HealthProbe probe;
  http::TokenCodec codec;
  http::SessionAuth seller_auth;
  http::SessionAuth buyer_auth;
  const mp::tls::TlsFiles plaintext;
  const http::FrontendSpec seller_spec;
  const http::FrontendSpec buyer_spec;
  http::Router seller;
  http::Router buyer;
  std::shared_ptr<void> seller_routes;
  std::shared_ptr<void> buyer_routes;  // the payment client and saga: before the clients go
};

// The input as a socket would deliver it: in chunks of `chunk` bytes, then
// end of stream. A Beast SyncReadStream.
class InputStream {
 public:
  InputStream(const uint8_t* data, size_t size, size_t chunk)
      : data_(data), size_(size), chunk_(chunk) {}

  template <typename Buffers>
  size_t read_some(const Buffers& buffers, beast::error_code& ec) {
    if (offset_ == size_) {
      ec = boost::asio::error::eof;
      return 0;
    }
    ec = {};
    size_t n = boost::asio::buffer_copy(
        buffers, boost::asio::buffer(data_ + offset_, std::min(chunk_, size_ - offset_)));
    offset_ += n;
    return n;
  }
  template <typename Buffers>
  size_t read_some(const Buffers& buffers) {
    beast::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t chunk_;
  size_t offset_ = 0;
};

// Dispatches and waits for the answer, which may come from a gRPC thread.
http::Response Serve(const http::Router& router, const http::Request& request) {
  struct Answer {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<http::Response> response;
  };
  auto answer = std::make_shared<Answer>();
  router.Dispatch(std::make_shared<http::Request>(request), [answer](http::Response r) {
    std::lock_guard lock(answer->mu);
    MP_FUZZ_CHECK(!answer->response);  // exactly once
    answer->response = std::move(r);
    answer->cv.notify_one();
  });
  std::unique_lock lock(answer->mu);
  // Every backend call has a deadline, so a request left unanswered is a bug.
  bool answered = answer->cv.wait_for(lock, std::chrono::seconds(20),
                                      [&] { return answer->response.has_value(); });
  MP_FUZZ_CHECK(answered);
  return std::move(*answer->response);
}

// What every answer must look like, whatever was asked.
void CheckResponse(const http::Response& r) {
  MP_FUZZ_CHECK(r.status >= 200 && r.status < 600);
  // Hostile input is the client's error, or a backend's (503): never ours.
  MP_FUZZ_CHECK(r.status != 500);
  if (r.status >= 400) {
    boost::system::error_code ec;
    boost::json::value body = boost::json::parse(r.body, ec);
    MP_FUZZ_CHECK(!ec && body.is_object() && body.as_object().size() == 1);
    const boost::json::value* error = body.as_object().if_contains("error");
    MP_FUZZ_CHECK(error != nullptr && error->is_object());
    const boost::json::value* code = error->as_object().if_contains("code");
    const boost::json::value* message = error->as_object().if_contains("message");
    MP_FUZZ_CHECK(code && code->is_string() && !code->get_string().empty());
    MP_FUZZ_CHECK(message && message->is_string());
  }
  if (r.status == 204) MP_FUZZ_CHECK(r.body.empty());
}

// Writes the answer as Session::Write does, into a string.
void Serialize(const http::Response& r, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> response(static_cast<bhttp::status>(r.status), version);
  response.set(bhttp::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers) response.set(name, value);
  response.body() = r.body;
  response.keep_alive(keep_alive);
  response.prepare_payload();
  std::ostringstream out;
  out << response;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Frontends* frontends = [] {
    mp::log::Init("fuzz", "off");
    return new Frontends();  // never destroyed: outlives gRPC's threads
  }();
  static const http::HttpServerOptions limits;
  // MP_FUZZ_DEBUG=1: one line per request and router, to check what seeds
  // reach.
  static const bool debug = std::getenv("MP_FUZZ_DEBUG") != nullptr;

  InputStream stream(data, size, 1 + size % 128);
  beast::flat_buffer buffer;  // one per connection, as in Session
  for (int i = 0; i < kMaxRequests; ++i) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(limits.body_limit);
    parser.header_limit(limits.header_limit);
    beast::error_code ec;
    bhttp::read(stream, buffer, parser, ec);
    if (ec) break;  // the server answers 400/413/431, or just closes
    auto& message = parser.get();
    http::Request request;
    request.id = static_cast<uint64_t>(i) + 1;
    request.method = message.method();
    request.remote = "127.0.0.1";
    if (!http::ParseTarget(message.target(), request)) break;  // 400, closed
    request.authorization = std::string(message[bhttp::field::authorization]);
    request.idempotency_key = std::string(message["Idempotency-Key"]);
    request.content_type = std::string(message[bhttp::field::content_type]);
    request.body = std::move(message.body());
    bool keep_alive = message.keep_alive();
    for (const http::Router* router : {&frontends->seller, &frontends->buyer}) {
      http::Response response = Serve(*router, request);
      if (debug) {
        std::fprintf(stderr, "%s %s -> %d %s\n", std::string(message.method_string()).c_str(),
                     request.path.c_str(), response.status, response.body.c_str());
      }
      CheckResponse(response);
      Serialize(response, message.version(), keep_alive);
    }
    if (!keep_alive) break;
  }
  return 0;
}
