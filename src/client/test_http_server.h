#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mp::client::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct CannedReply {
  int status = 200;
  std::string body;
  bool close = false;  // send "Connection: close" and hang up
  // Promise keep-alive, then hang up anyway (an idle timeout on the server).
  bool hang_up_silently = false;
};

// A real HTTP/1.1 server on 127.0.0.1:<ephemeral> for client tests. One
// thread serves one connection at a time, keep-alive included, and answers
// each request with `handler`. Records every request and connection.
class TestHttpServer {
 public:
  using Handler = std::function<CannedReply(const RecordedRequest&)>;

  explicit TestHttpServer(Handler handler);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<RecordedRequest> requests() const;
  int connections() const { return connections_; }

 private:
  void Serve();

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> connection_fd_{-1};
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;
  std::thread thread_;
};

// A port on 127.0.0.1 that refuses connections (bound once, then closed).
int ClosedPort();

}  // namespace mp::client::testing
