#include "raw_client.h"

#include <netinet/in.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace mp::integration {

namespace bhttp = boost::beast::http;

Fd Connect(int port, int rcvbuf) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fd;
  if (rcvbuf > 0) setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return Fd();
  return fd;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void SendReset(Fd& fd) {
  linger l{1, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  fd.Reset();
}

Received ReadUntilClosed(int fd, std::chrono::milliseconds timeout) {
  return ReadUntil(fd, timeout, [](const std::string&) { return false; });
}

bool ClosedByPeer(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) continue;
    return n == 0 || (errno != EAGAIN && errno != EINTR);
  }
}

std::vector<ParsedResponse> ParseResponses(std::string_view data) {
  std::vector<ParsedResponse> out;
  while (!data.empty()) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(64 * 1024 * 1024);
    boost::beast::error_code ec;
    while (!parser.is_done() && !data.empty()) {
      size_t used = parser.put(boost::asio::buffer(data.data(), data.size()), ec);
      data.remove_prefix(used);
      if (ec) return out;
    }
    if (!parser.is_done()) return out;
    out.push_back({static_cast<int>(parser.get().result_int()), parser.get().body()});
  }
  return out;
}

Received ReadAnswer(int fd, std::chrono::milliseconds timeout) {
  return ReadUntil(fd, timeout,
                   [](const std::string& data) { return !ParseResponses(data).empty(); });
}

std::string RequestText(const std::string& method, const std::string& target,
                        const std::string& token, const std::string& body, bool close) {
  std::string r = method;
  r += " ";
  r += target;
  r += " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!token.empty()) {
    r += "Authorization: Bearer ";
    r += token;
    r += "\r\n";
  }
  if (!body.empty() || method == "POST") {
    r += "Content-Type: application/json\r\nContent-Length: ";
    r += std::to_string(body.size());
    r += "\r\n";
  }
  if (close) r += "Connection: close\r\n";
  r += "\r\n";
  r += body;
  return r;
}

}  // namespace mp::integration
