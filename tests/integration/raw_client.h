#pragma once
// A raw TCP client for tests that misbehave on purpose (abuse_test.cc):
// blocking sockets, hand-written HTTP/1.1 requests, and answers parsed with
// Beast's parser.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mp::integration {

// Concatenates without `"literal" + std::string`, which GCC 12 flags
// falsely (-Wrestrict).
template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

// A socket closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A blocking TCP connection to 127.0.0.1:port (invalid on failure, errno
// set). `rcvbuf` > 0 shrinks the receive buffer first, so that the kernel
// cannot take a large answer off the server at once.
Fd Connect(int port, int rcvbuf = 0);

bool SendAll(int fd, std::string_view data);

// Drops the connection with a reset (SO_LINGER 0) instead of a FIN.
void SendReset(Fd& fd);

struct Received {
  std::string data;
  bool closed = false;  // EOF or reset from the server
};

// Reads until the server closes the connection, `enough(data)` holds, or
// `timeout` passes.
template <typename F>
Received ReadUntil(int fd, std::chrono::milliseconds timeout, F enough) {
  Received r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[16 * 1024];
  while (std::chrono::steady_clock::now() < deadline && !enough(r.data)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count())));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      r.data.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      r.closed = true;
      return r;
    }
  }
  return r;
}

Received ReadUntilClosed(int fd, std::chrono::milliseconds timeout);

// True when the server has closed `fd`; reads (and drops) what it sent.
bool ClosedByPeer(int fd);

struct ParsedResponse {
  int status = 0;
  std::string body;
};

// The responses in `data`, in order; stops at the first incomplete one.
std::vector<ParsedResponse> ParseResponses(std::string_view data);

// Reads until one whole answer came (or the connection closed).
Received ReadAnswer(int fd, std::chrono::milliseconds timeout);

// "METHOD target HTTP/1.1" with Host, the bearer token and a JSON body when
// given, and "Connection: close" when `close`.
std::string RequestText(const std::string& method, const std::string& target,
                        const std::string& token = "", const std::string& body = "",
                        bool close = false);

}  // namespace mp::integration
