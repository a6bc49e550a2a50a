#pragma once

#include <functional>
#include <string>

#include "common.pb.h"
#include "http/auth.h"
#include "http/frontend_options.h"
#include "http/router.h"
#include "rpc/customer_db_client.h"
#include "rpc/product_db_client.h"
#include "tls/ssl_context.h"

namespace mp::http {

// What a frontend's routes may use; alive while the server runs.
struct FrontendContext {
  const FrontendOptions& options;
  const SessionAuth& auth;
  const rpc::CustomerDbClient& customers;
  const rpc::ProductDbClient& products;
  // TLS for calls to the payment service (rpc::PaymentTlsContext); null:
  // plaintext, or a frontend that makes none.
  const tls::SslContext& payment_tls;
};

struct FrontendSpec {
  std::string component;   // "seller-server"
  std::string env_prefix;  // "MP_SELLER_"
  v1::Role role;
  std::string default_listen;
  // Adds the component's own routes (account, health and metrics routes are
  // added for it). What it returns is kept alive while the server runs.
  std::function<std::shared_ptr<void>(Router&, const FrontendContext&)> add_routes;
  // Whether the routes call the payment service (--payment-url).
  bool calls_payment = false;
};

// The whole main() of a frontend: parses flags (and environment), connects
// to the DB services, serves until SIGINT/SIGTERM. Returns the exit status.
int RunFrontend(int argc, char** argv, const FrontendSpec& spec);

}  // namespace mp::http
