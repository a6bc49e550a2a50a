#include "bench/http_connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <charconv>

namespace mp::bench {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

// Errors come back as values: a failed call is counted, not thrown.
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// Replies can be long lists (a buyer's purchase history grows every run).
constexpr uint64_t kBodyLimit = 256ull * 1024 * 1024;

Status Failure(const beast::error_code& ec, std::string_view what) {
  if (ec == beast::error::timeout) return Status(StatusCode::kDeadlineExceeded, "timed out");
  return Unavailable(std::string(what) + ": " + ec.message());
}

void AppendNumber(std::string& out, size_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

}  // namespace

HttpConnection::HttpConnection(asio::io_context& io, asio::ip::tcp::endpoint server,
                               std::string host, std::chrono::seconds timeout)
    : stream_(io), server_(server), host_(std::move(host)), timeout_(timeout) {}

asio::awaitable<Status> HttpConnection::Connect() {
  if (connected_) co_return Status();
  stream_.expires_after(timeout_);
  auto [ec] = co_await stream_.async_connect(server_, kAwait);
  stream_.expires_never();
  if (ec) co_return Failure(ec, "connect to " + host_);
  beast::error_code ignored;
  // Requests go out in one write; without this the reply of a small write
  // could still wait on a delayed ACK.
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  connected_ = true;
  co_return Status();
}

asio::awaitable<StatusOr<HttpReply>> HttpConnection::Call(bhttp::verb verb, std::string_view target,
                                                          std::string_view body,
                                                          std::string_view idempotency_key) {
  FormatRequest(verb, target, body, idempotency_key);
  const bool may_resend = resend_writes_ || verb == bhttp::verb::get || !idempotency_key.empty();
  for (int attempt = 0;; ++attempt) {
    bool reused = connected_;
    if (Status s = co_await Connect(); !s.ok()) {
      // The first attempt may have reached the server before it broke.
      if (attempt > 0) co_return Unavailable(s.message());
      co_return Status(s.code(), s.message(), std::string(kNotSent));
    }
    Status s = co_await Exchange();
    if (s.ok()) co_return HttpReply{status_, reply_body_};
    Close();
    // The server closes a connection idle for long (between set-up and the
    // runs, say); a request on it fails before any reply byte, unread, so
    // sending it again cannot do it twice.
    if (!reused || attempt > 0 || got_reply_bytes_ || s.code() == StatusCode::kDeadlineExceeded ||
        !may_resend) {
      co_return s;
    }
  }
}

void HttpConnection::FormatRequest(bhttp::verb verb, std::string_view target, std::string_view body,
                                   std::string_view idempotency_key) {
  request_.clear();
  beast::string_view method = bhttp::to_string(verb);
  request_.append(method.data(), method.size()).append(" ").append(target);
  request_.append(" HTTP/1.1\r\nHost: ").append(host_).append("\r\n");
  if (!token_.empty()) request_.append("Authorization: Bearer ").append(token_).append("\r\n");
  if (!idempotency_key.empty()) {
    request_.append("Idempotency-Key: ").append(idempotency_key).append("\r\n");
  }
  if (!body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::patch ||
      verb == bhttp::verb::put) {
    request_.append("Content-Type: application/json\r\nContent-Length: ");
    AppendNumber(request_, body.size());
    request_.append("\r\n");
  }
  request_.append("\r\n").append(body);
}

asio::awaitable<Status> HttpConnection::Exchange() {
  got_reply_bytes_ = false;
  stream_.expires_after(timeout_);
  auto [write_ec, written] = co_await asio::async_write(stream_, asio::buffer(request_), kAwait);
  if (write_ec) co_return Failure(write_ec, "send");
  parser_.emplace(reply_body_);
  parser_->body_limit(kBodyLimit);
  auto [read_ec, read] = co_await bhttp::async_read(stream_, buffer_, *parser_, kAwait);
  stream_.expires_never();
  if (read_ec) {
    got_reply_bytes_ = parser_->got_some();
    co_return Failure(read_ec, "receive");
  }
  status_ = parser_->status();
  if (!parser_->keep_alive()) Close();
  co_return Status();
}

void HttpConnection::Close() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
  buffer_.clear();
  connected_ = false;
}

}  // namespace mp::bench
