#include "launcher/http_probe.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace mp::launcher {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

template <typename Stream>
Status Get(Stream& stream, const std::string& address, const std::string& path) {
  bhttp::request<bhttp::empty_body> req(bhttp::verb::get, path, 11);
  req.set(bhttp::field::host, address);
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  if (res.result_int() != 200) return Unavailable(address + " answered " + res.body());
  return Status();
}

}  // namespace

Status CheckHttpHealth(const std::string& address, const std::string& path, tls::SslContext tls) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("address", "must be host:port");
  try {
    boost::asio::io_context ioc;
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(address.substr(0, colon), address.substr(colon + 1));
    if (!tls) {
      beast::tcp_stream stream(ioc);
      stream.expires_after(std::chrono::seconds(1));
      stream.connect(endpoints);
      return Get(stream, address, path);
    }
    // The asio context owns a reference of its own; the caller's stays.
    SSL_CTX_up_ref(tls.get());
    ssl::context context(tls.get());
    beast::ssl_stream<beast::tcp_stream> stream(ioc, context);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(ssl::stream_base::client);
    return Get(stream, address, path);
  } catch (const std::exception& e) {
    return Unavailable(address + ": " + e.what());
  }
}

}  // namespace mp::launcher
