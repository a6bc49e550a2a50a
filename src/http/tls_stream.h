#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/status.h"

namespace mp::http {

// The connection of an HTTP session: a Beast TCP stream, with TLS over it
// when the server has a certificate. It is a Beast AsyncStream either way,
// so the session reads and writes it the same; timeouts (expires_after),
// the socket and close() are always the TCP stream's. Not thread-safe: one
// session's strand uses it.
class TlsOrTcpStream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;

  // `tls`: a server context (MakeHttpsContext), or null for plain HTTP.
  TlsOrTcpStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context* tls)
      : tcp_(std::move(socket)) {
    if (tls) tls_.emplace(tcp_, *tls);
  }

  bool tls() const { return tls_.has_value(); }
  // The TLS handshake (as the server). REQUIRES: tls().
  template <typename Handler>
  void async_handshake(Handler&& handler) {
    tls_->async_handshake(boost::asio::ssl::stream_base::server, std::forward<Handler>(handler));
  }

  executor_type get_executor() { return tcp_.get_executor(); }
  template <typename Buffers, typename Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_read_some(buffers, std::forward<Handler>(handler));
    tcp_.async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <typename Buffers, typename Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) return tls_->async_write_some(buffers, std::forward<Handler>(handler));
    tcp_.async_write_some(buffers, std::forward<Handler>(handler));
  }

  template <typename Duration>
  void expires_after(Duration d) {
    tcp_.expires_after(d);
  }
  boost::asio::ip::tcp::socket& socket() { return tcp_.socket(); }
  // Closes the TCP connection (without a TLS close_notify: HTTP/1.1 frames
  // each message itself, so a truncation cannot pass for an end).
  void close() { tcp_.close(); }

 private:
  boost::beast::tcp_stream tcp_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream&>> tls_;
};

// The context of an HTTPS server presenting `cert_file` (PEM, chain) and
// `key_file`: TLS 1.2 or later, no client certificate asked for.
// kFailedPrecondition naming the file that cannot be used.
StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeHttpsContext(const std::string& cert_file,
                                                                      const std::string& key_file);

}  // namespace mp::http
