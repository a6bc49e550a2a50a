#pragma once

#include <string>

#include "common/status.h"
#include "tls/ssl_context.h"

namespace mp::launcher {

// GET http://<address><path>, or https:// with `tls` (a client context,
// tls::NewClientContext); OK on a 200 answer within a second.
Status CheckHttpHealth(const std::string& address, const std::string& path = "/healthz",
                       tls::SslContext tls = nullptr);

}  // namespace mp::launcher
