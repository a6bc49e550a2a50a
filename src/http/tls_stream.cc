#include "http/tls_stream.h"

#include "tls/ssl_context.h"

namespace mp::http {

StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeHttpsContext(const std::string& cert_file,
                                                                      const std::string& key_file) {
  MP_ASSIGN_OR_RETURN(tls::SslContext ctx,
                      tls::NewServerContext({.ca = "", .cert = cert_file, .key = key_file}));
  // Idle keep-alive connections give their TLS buffers back.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  // The asio context takes a reference of its own.
  SSL_CTX_up_ref(ctx.get());
  return std::make_shared<boost::asio::ssl::context>(ctx.get());
}

}  // namespace mp::http
