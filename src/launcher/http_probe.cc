#include "launcher/http_probe.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <exception>

namespace mp::launcher {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// One deadline for the whole probe. beast::tcp_stream enforces it on
// asynchronous operations only: a synchronous read would wait for ever on a
// service that accepts but never answers.
constexpr auto kProbeTimeout = std::chrono::seconds(1);

template <typename Stream>
asio::awaitable<Status> Get(Stream& stream, const std::string& address, const std::string& path) {
  bhttp::request<bhttp::empty_body> req(bhttp::verb::get, path, 11);
  req.set(bhttp::field::host, address);
  co_await bhttp::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  co_await bhttp::async_read(stream, buffer, res, asio::use_awaitable);
  if (res.result_int() != 200) co_return Unavailable(address + " answered " + res.body());
  co_return Status();
}

asio::awaitable<Status> Probe(const std::string& address, const std::string& path,
                              tls::SslContext tls) {
  size_t colon = address.rfind(':');
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(address.substr(0, colon),
                                                   address.substr(colon + 1), asio::use_awaitable);
  if (!tls) {
    beast::tcp_stream stream(executor);
    stream.expires_after(kProbeTimeout);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
    co_return co_await Get(stream, address, path);
  }
  // The asio context owns a reference of its own; the caller's stays.
  SSL_CTX_up_ref(tls.get());
  ssl::context context(tls.get());
  beast::ssl_stream<beast::tcp_stream> stream(executor, context);
  beast::get_lowest_layer(stream).expires_after(kProbeTimeout);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
  co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
  co_return co_await Get(stream, address, path);
}

}  // namespace

Status CheckHttpHealth(const std::string& address, const std::string& path, tls::SslContext tls) {
  if (address.rfind(':') == std::string::npos) {
    return InvalidArgument("address", "must be host:port");
  }
  asio::io_context ioc;
  Status result = Unavailable(address + ": no answer");
  asio::co_spawn(ioc, Probe(address, path, std::move(tls)),
                 [&](std::exception_ptr error, Status status) {
                   if (!error) {
                     result = std::move(status);
                     return;
                   }
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     result = Unavailable(address + ": " + e.what());
                   }
                 });
  ioc.run();
  return result;
}

}  // namespace mp::launcher
