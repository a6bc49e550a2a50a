#include "launcher/http_probe.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace mp::launcher {

Status CheckHttpHealth(const std::string& address, const std::string& path) {
  namespace beast = boost::beast;
  namespace bhttp = beast::http;
  using tcp = boost::asio::ip::tcp;
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("address", "must be host:port");
  try {
    boost::asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(1));
    stream.connect(resolver.resolve(address.substr(0, colon), address.substr(colon + 1)));
    bhttp::request<bhttp::empty_body> req(bhttp::verb::get, path, 11);
    req.set(bhttp::field::host, address);
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream, buffer, res);
    if (res.result_int() != 200) return Unavailable(address + " answered " + res.body());
    return Status();
  } catch (const std::exception& e) {
    return Unavailable(address + ": " + e.what());
  }
}

}  // namespace mp::launcher
