#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "bench/reply_parser.h"
#include "common/status.h"

namespace mp::bench {

// A reply; `body` stays valid until the connection's next Call.
struct HttpReply {
  int status = 0;
  std::string_view body;
};

// One keep-alive HTTP/1.1 connection of one simulated client to one server.
// Not thread-safe: use it from the thread that runs its io_context only.
//
// Made for the hot path: the request is written into a reused buffer and
// the reply parsed by ReplyParser into a reused string, so once the buffers
// have grown a call allocates nothing of its own.
class HttpConnection {
 public:
  // `host` is sent as the Host header. A call (connect, or write plus read
  // of the whole reply) that takes longer than `timeout` fails.
  HttpConnection(boost::asio::io_context& io, boost::asio::ip::tcp::endpoint server,
                 std::string host, std::chrono::seconds timeout);
  // Pinned: the reply parser refers to the connection's own buffers.
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sent as "Authorization: Bearer <token>" from now on; empty: none.
  void SetToken(std::string token) { token_ = std::move(token); }

  // Whether Call sends a write (not a GET, no Idempotency-Key) again after
  // its kept-alive connection broke before any reply byte. True by default:
  // a server that closed an idle connection had not read the request. A
  // server that crashed may have read and done it, so a client that expects
  // crashes turns this off.
  void set_resend_writes(bool resend) { resend_writes_ = resend; }

  // Opens the connection unless it is open, so that set-up rather than the
  // first timed call pays for it. kUnavailable or kDeadlineExceeded.
  boost::asio::awaitable<Status> Connect();

  // Sends one request and waits for its whole reply, connecting first when
  // needed; a non-empty `body` goes as application/json, a non-empty
  // `idempotency_key` as the Idempotency-Key header. kUnavailable when the
  // connection fails (with reason kNotSent when no byte of the request can
  // have reached the server: it could not connect), kDeadlineExceeded after
  // the timeout. A kept-alive connection that the server closed while it was
  // idle is reopened and the request sent again, once: it failed before the
  // server read it (see set_resend_writes).
  boost::asio::awaitable<StatusOr<HttpReply>> Call(boost::beast::http::verb verb,
                                                   std::string_view target,
                                                   std::string_view body = {},
                                                   std::string_view idempotency_key = {});

  // Status::reason() of a call that never reached the server.
  static constexpr std::string_view kNotSent = "not_sent";

 private:
  void FormatRequest(boost::beast::http::verb verb, std::string_view target, std::string_view body,
                     std::string_view idempotency_key);
  // One write of request_ and read of the reply into reply_body_/status_.
  boost::asio::awaitable<Status> Exchange();
  void Close();

  boost::beast::tcp_stream stream_;
  boost::asio::ip::tcp::endpoint server_;
  std::string host_;
  std::chrono::seconds timeout_;
  std::string token_;
  bool connected_ = false;
  bool resend_writes_ = true;
  // True when the last failed Exchange had received part of a reply.
  bool got_reply_bytes_ = false;
  std::string request_;
  boost::beast::flat_buffer buffer_;
  std::optional<ReplyParser> parser_;
  std::string reply_body_;
  int status_ = 0;
};

}  // namespace mp::bench
