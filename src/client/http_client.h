#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace mp::client {

struct ServerAddress {
  std::string host;  // name or IP literal, without brackets
  std::string port;
  bool https = false;  // given as "https://host:port"

  // "host:port" ("[::1]:8081" for IPv6).
  std::string ToString() const;
  bool operator==(const ServerAddress&) const = default;
};

// Parses "host:port,host:port" (blanks around entries ignored, an optional
// "http://" prefix accepted, "https://" for TLS). kInvalidArgument for an
// empty list or an entry without a numeric port.
StatusOr<std::vector<ServerAddress>> ParseServerList(std::string_view list);

struct HttpClientOptions {
  // Tried in order; the first that answers stays first for later requests.
  std::vector<ServerAddress> servers;
  // Limit for resolving plus connecting, and again for sending a request
  // plus reading its whole reply.
  std::chrono::milliseconds timeout{10'000};
  // Largest reply body accepted.
  uint64_t body_limit = 32 * 1024 * 1024;
  // CA certificate(s) (PEM) an https:// server's certificate must chain to;
  // empty: the system's trust store. The certificate must also name the
  // server's host.
  std::string ca_file = "";
};

struct HttpRequest {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;  // path and query, already percent-encoded
  std::string body;    // sent with Content-Type: application/json unless empty
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, if any
  std::string server;       // address that answered, for diagnostics
};

// A blocking HTTP/1.1 client over a list of equivalent servers, with one
// keep-alive connection at a time.
//
// Failover: a server that cannot be reached (resolve or connect failure or
// timeout) or that answers 503 is skipped for the next one. A connection
// lost after the request went out is retried elsewhere only when a retry
// cannot apply the request twice: GET, or a request carrying an
// Idempotency-Key header (then each address gets one attempt, and a single
// address gets a second one). Other methods are not retried, even DELETE: withdrawing
// N units twice is not the same as once.
//
// Not thread-safe: one client per thread.
class HttpClient {
 public:
  // REQUIRES: !options.servers.empty().
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Any reply with a status code comes back as an HttpResponse, including
  // 4xx and 5xx (the last 503 when every server answered 503). Errors:
  // kUnavailable when no server could be reached, or when the connection
  // broke after a request that may not be retried was sent;
  // kDeadlineExceeded when a server took longer than the timeout to reply.
  StatusOr<HttpResponse> Send(const HttpRequest& request);

  const HttpClientOptions& options() const { return options_; }

 private:
  enum class Phase { kConnect, kExchange };
  struct Failure {
    Phase phase;
    boost::beast::error_code ec;
  };

  // Connects to servers_[index] unless the open connection goes there and
  // is still usable.
  std::optional<Failure> EnsureConnected(size_t index);
  // The TLS handshake with `server` over the connected stream_.
  boost::beast::error_code Handshake(const ServerAddress& server);
  // Connects if needed, then exchanges one request and reply.
  std::variant<HttpResponse, Failure> Attempt(size_t index, const HttpRequest& request);
  std::string Describe(const boost::beast::error_code& ec) const;
  // One request/reply on the open connection.
  std::variant<HttpResponse, Failure> Exchange(size_t index, const HttpRequest& request);
  void Close();

  // Runs `op` on the open connection: TLS over stream_, or stream_ itself.
  template <typename Op>
  auto WithStream(Op op);

  struct Tls;  // OpenSSL, kept out of this header
  HttpClientOptions options_;
  boost::asio::io_context ioc_;
  std::optional<boost::beast::tcp_stream> stream_;
  std::unique_ptr<Tls> tls_;  // the TLS context, and the layer while connected
  std::optional<size_t> connected_index_;
  boost::beast::flat_buffer buffer_;
  size_t preferred_ = 0;
};

}  // namespace mp::client
