#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "http/router.h"

namespace mp::http {

struct HttpServerOptions {
  // "host:port"; port 0 picks a free one (see HttpServer::port()).
  std::string listen = "127.0.0.1:8081";
  // One io_context, and one SO_REUSEPORT listener, per thread.
  int threads = 2;
  // A keep-alive connection idle this long is closed.
  std::chrono::seconds idle_timeout{60};
  // A request must arrive whole within this time once started.
  std::chrono::seconds read_timeout{10};
  // Larger bodies get 413.
  size_t body_limit = 1 << 20;
  // Header block limit; larger get 431 (closed).
  uint32_t header_limit = 16 * 1024;
};

// HTTP/1.1 server on Boost.Beast: each thread runs its own io_context with
// its own listening socket on the same port (SO_REUSEPORT), so the kernel
// spreads connections and no lock is shared on the hot path. A connection
// stays on its thread; handler answers are posted back to it.
class HttpServer {
 public:
  HttpServer(const HttpServerOptions& options, const Router& router);
  ~HttpServer();  // stops

  // Binds every listener and starts the threads. kUnavailable if the
  // address cannot be bound.
  Status Start();
  int port() const { return port_; }
  // Closes the listeners and connections, joins the threads.
  void Stop();

 private:
  struct Worker;
  HttpServerOptions options_;
  const Router& router_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  std::atomic<uint64_t> next_request_id_{1};
};

// Splits "host:port"; kInvalidArgument when malformed.
StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address);

}  // namespace mp::http
