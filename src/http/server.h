#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "http/router.h"

namespace boost::asio::ssl {
class context;
}

namespace mp::http {

struct HttpServerOptions {
  // "host:port"; port 0 picks a free one (see HttpServer::port()).
  std::string listen = "127.0.0.1:8081";
  // One io_context, and one SO_REUSEPORT listener, per thread.
  int threads = 2;
  // A connection that sends nothing this long (a new one, or a keep-alive
  // one between requests) is closed.
  std::chrono::seconds idle_timeout{60};
  // From a request's first byte, its head and body must arrive whole within
  // this time: one deadline, not one per read, so a client trickling bytes
  // (slow-loris) is cut off however steadily it sends. No answer is sent.
  std::chrono::seconds read_timeout{10};
  // A response not taken by the client within this time (it stopped
  // reading) is abandoned and the connection closed.
  std::chrono::seconds write_timeout{10};
  // Open connections, all threads together. A connection accepted beyond it
  // is closed at once; accepting goes on, so one gets in again as soon as
  // another closes. Each costs a file descriptor: keep it under the process's
  // RLIMIT_NOFILE (RunFrontend clamps it), or accepts fail with EMFILE, which
  // the server then retries every 100 ms.
  int max_connections = 16384;
  // Larger bodies get 413.
  size_t body_limit = 1 << 20;
  // Limit of the request line and headers together; larger get 431 and the
  // connection is closed.
  uint32_t header_limit = 16 * 1024;
  // HTTPS: the server's certificate (PEM, chain) and key files. Empty: HTTP.
  std::string tls_cert{};
  std::string tls_key{};
};

// HTTP/1.1 server on Boost.Beast: each thread runs its own io_context with
// its own listening socket on the same port (SO_REUSEPORT), so the kernel
// spreads connections and no lock is shared on the hot path. A connection
// is read on its thread; a handler's reply is written by the thread that
// finished the handler when the socket takes it whole, else by the
// connection's thread.
class HttpServer {
 public:
  HttpServer(const HttpServerOptions& options, const Router& router);
  ~HttpServer();  // stops

  // Binds every listener and starts the threads. kUnavailable if the
  // address cannot be bound; kFailedPrecondition if the TLS files cannot
  // be used.
  Status Start();
  int port() const { return port_; }
  // Closes the listeners and connections, joins the threads.
  void Stop();

 private:
  struct Worker;
  std::shared_ptr<const HttpServerOptions> options_;  // shared with the sessions
  const Router& router_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  std::atomic<uint64_t> next_request_id_{1};
  std::shared_ptr<boost::asio::ssl::context> tls_;  // null: HTTP
  // Shared with the sessions, which may outlive the server.
  std::shared_ptr<std::atomic<int>> connections_ = std::make_shared<std::atomic<int>>(0);
};

// Splits "host:port"; kInvalidArgument when malformed.
StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address);

}  // namespace mp::http
