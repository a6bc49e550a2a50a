#include "client/http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace mp::client {
namespace {

bool IsPort(std::string_view text) {
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && end == text.data() + text.size() && port > 0 && port < 65536;
}

std::string_view Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

StatusOr<ServerAddress> ParseServer(std::string_view entry) {
  const bool https = entry.starts_with("https://");
  if (https) entry.remove_prefix(8);
  if (entry.starts_with("http://")) entry.remove_prefix(7);
  if (entry.ends_with("/")) entry.remove_suffix(1);
  size_t colon = entry.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || !IsPort(entry.substr(colon + 1))) {
    return InvalidArgument("server", "'" + std::string(entry) + "' is not HOST:PORT");
  }
  std::string_view host = entry.substr(0, colon);
  if (host.starts_with("[") && host.ends_with("]")) host = host.substr(1, host.size() - 2);
  return ServerAddress{std::string(host), std::string(entry.substr(colon + 1)), https};
}

bool HasHeader(const HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.headers) {
    if (beast::iequals(key, name)) return true;
  }
  return false;
}

// Runs the io_context until the operation started by `start` completes and
// returns its error code. The tcp_stream's expiry bounds the wait.
template <typename Start>
beast::error_code RunOp(asio::io_context& ioc, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

}  // namespace

struct HttpClient::Tls {
  std::optional<asio::ssl::context> context;  // made for the first https:// server
  std::optional<beast::ssl_stream<beast::tcp_stream&>> stream;
};

template <typename Op>
auto HttpClient::WithStream(Op op) {
  return tls_->stream ? op(*tls_->stream) : op(*stream_);
}

std::string ServerAddress::ToString() const {
  return host.find(':') != std::string::npos ? "[" + host + "]:" + port : host + ":" + port;
}

StatusOr<std::vector<ServerAddress>> ParseServerList(std::string_view list) {
  std::vector<ServerAddress> servers;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view entry = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    MP_ASSIGN_OR_RETURN(ServerAddress server, ParseServer(entry));
    servers.push_back(std::move(server));
  }
  if (servers.empty()) return InvalidArgument("server", "no HOST:PORT given");
  return servers;
}

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), tls_(std::make_unique<Tls>()) {}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  tls_->stream.reset();  // no close_notify: each HTTP message frames itself
  if (stream_) {
    beast::error_code ignored;  // closing a socket that already broke
    stream_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_->socket().close(ignored);
  }
  stream_.reset();
  connected_index_.reset();
  buffer_.clear();
}

std::optional<HttpClient::Failure> HttpClient::EnsureConnected(size_t index) {
  if (stream_ && connected_index_ == index && buffer_.size() == 0) {
    // A keep-alive connection the server closed while we were idle polls as
    // readable (EOF). Reconnect now instead of sending into it and being
    // unable to tell whether the request was applied.
    pollfd pfd{stream_->socket().native_handle(), POLLIN, 0};
    if (::poll(&pfd, 1, 0) == 0) return std::nullopt;
  }
  Close();
  const ServerAddress& server = options_.servers[index];
  tcp::resolver resolver(ioc_);
  tcp::resolver::results_type endpoints;
  beast::error_code ec = asio::error::would_block;
  resolver.async_resolve(server.host, server.port,
                         [&](beast::error_code e, tcp::resolver::results_type r) {
                           ec = e;
                           endpoints = std::move(r);
                         });
  ioc_.restart();
  ioc_.run_for(options_.timeout);
  if (ec == asio::error::would_block) {
    resolver.cancel();
    ioc_.restart();
    ioc_.run();
    ec = beast::error::timeout;
  }
  if (ec) return Failure{Phase::kConnect, ec};
  stream_.emplace(ioc_);
  stream_->expires_after(options_.timeout);
  ec = RunOp(ioc_, [&](auto handler) { stream_->async_connect(endpoints, std::move(handler)); });
  if (ec) {
    Close();
    return Failure{Phase::kConnect, ec};
  }
  beast::error_code ignored;  // Nagle only costs latency; not worth failing over
  stream_->socket().set_option(tcp::no_delay(true), ignored);
  if (server.https) {
    ec = Handshake(server);
    if (ec) {
      Close();
      return Failure{Phase::kConnect, ec};
    }
  }
  connected_index_ = index;
  return std::nullopt;
}

beast::error_code HttpClient::Handshake(const ServerAddress& server) {
  if (!tls_->context) {
    asio::ssl::context& context = tls_->context.emplace(asio::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    context.set_verify_mode(asio::ssl::verify_peer);
    beast::error_code ec;
    if (options_.ca_file.empty()) {
      context.set_default_verify_paths(ec);
    } else {
      context.load_verify_file(options_.ca_file, ec);
    }
    if (ec) {
      tls_->context.reset();
      return ec;
    }
  }
  auto& tls = tls_->stream.emplace(*stream_, *tls_->context);
  SSL* ssl = tls.native_handle();
  // The certificate must name the host we asked for: an IP address as an IP
  // address, a name as a name (also sent as SNI).
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, server.host.c_str()) != 1) {
    SSL_set_tlsext_host_name(ssl, server.host.c_str());
    SSL_set1_host(ssl, server.host.c_str());
  }
  stream_->expires_after(options_.timeout);
  return RunOp(ioc_, [&](auto handler) {
    tls.async_handshake(asio::ssl::stream_base::client, std::move(handler));
  });
}

std::variant<HttpResponse, HttpClient::Failure> HttpClient::Exchange(size_t index,
                                                                     const HttpRequest& request) {
  const ServerAddress& server = options_.servers[index];
  http::request<http::string_body> req{request.method, request.target, 11};
  req.set(http::field::host, server.ToString());
  req.set(http::field::user_agent, "mp-client/1");
  req.set(http::field::accept, "application/json");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  if (!request.body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = request.body;
  }
  req.keep_alive(true);
  req.prepare_payload();

  stream_->expires_after(options_.timeout);
  beast::error_code ec = RunOp(ioc_, [&](auto handler) {
    WithStream([&](auto& stream) { http::async_write(stream, req, std::move(handler)); });
  });
  if (!ec) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.body_limit);
    ec = RunOp(ioc_, [&](auto handler) {
      WithStream(
          [&](auto& stream) { http::async_read(stream, buffer_, parser, std::move(handler)); });
    });
    if (!ec) {
      http::response<http::string_body>& res = parser.get();
      HttpResponse out{static_cast<int>(res.result_int()), std::move(res.body()),
                       std::string(res[http::field::retry_after]), server.ToString()};
      if (!res.keep_alive()) Close();
      return out;
    }
  }
  return Failure{Phase::kExchange, ec};
}

std::variant<HttpResponse, HttpClient::Failure> HttpClient::Attempt(size_t index,
                                                                    const HttpRequest& request) {
  if (std::optional<Failure> failure = EnsureConnected(index)) return *failure;
  return Exchange(index, request);
}

std::string HttpClient::Describe(const beast::error_code& ec) const {
  if (ec != beast::error::timeout) return ec.message();
  auto ms = options_.timeout.count();
  return "no answer within " +
         (ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms");
}

StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request) {
  const size_t n = options_.servers.size();
  const bool retry_safe =
      request.method == http::verb::get || HasHeader(request, "Idempotency-Key");
  size_t attempts = n;
  std::string problems;
  std::optional<HttpResponse> last_unavailable;
  for (size_t attempt = 0; attempt < attempts; ++attempt) {
    size_t index = (preferred_ + attempt) % n;
    std::string where = options_.servers[index].ToString();
    auto outcome = Attempt(index, request);
    if (auto* failure = std::get_if<Failure>(&outcome)) {
      Close();
      std::string problem = where + ": " + Describe(failure->ec);
      if (failure->phase == Phase::kExchange && !retry_safe) {
        problem += " after the request was sent; it may or may not have been applied";
        return failure->ec == beast::error::timeout ? Status(StatusCode::kDeadlineExceeded, problem)
                                                    : Unavailable(problem);
      }
      // A lone server gets a second chance only when the request was lost
      // on the way: a refused connection will be refused again.
      if (n == 1 && failure->phase == Phase::kExchange) attempts = 2;
      problems += (problems.empty() ? "" : "; ") + problem;
      continue;
    }
    HttpResponse& response = std::get<HttpResponse>(outcome);
    // A 503 may come after a backend applied the write (a DB replica died
    // mid-call), so only a request that is safe to repeat goes on to the
    // next server; any other gets the 503 itself.
    if (response.status == 503 && retry_safe) {
      problems += (problems.empty() ? "" : "; ") + where + ": 503 unavailable";
      last_unavailable = std::move(response);
      continue;
    }
    preferred_ = index;
    return std::move(response);
  }
  if (last_unavailable) return std::move(*last_unavailable);
  return Unavailable("no server reachable (" + problems + ")");
}

}  // namespace mp::client
