#pragma once

#include <boost/program_options/options_description.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common.pb.h"
#include "common/status.h"
#include "http/auth.h"
#include "http/frontend_options.h"
#include "http/router.h"
#include "http/token.h"
#include "rpc/customer_db_client.h"
#include "rpc/health_client.h"
#include "rpc/product_db_client.h"
#include "tls/tls_files.h"

namespace mp::http {

// What a frontend's routes are built from; alive while the routes are.
struct FrontendContext {
  const TokenCodec& codec;
  const SessionAuth& auth;
  const rpc::CustomerDbClient& customers;
  const rpc::ProductDbClient& products;
  // /healthz answers from it.
  const rpc::HealthProbe& probe;
  // The frontend's TLS files towards the services (disabled: plaintext),
  // for clients a frontend makes of its own (the buyer's payment client).
  const tls::TlsFiles& backend_tls;
};

// One kind of frontend: the seller server or the buyer server
// (seller_frontend::SellerFrontend, buyer_frontend::BuyerFrontend).
struct FrontendSpec {
  std::string component;   // "seller-server"
  std::string env_prefix;  // "MP_SELLER_"
  v1::Role role;
  std::string default_listen;
  // Adds the flags only this kind of frontend has to those every frontend
  // has (FrontendOptions); they write into options the spec holds. Null:
  // none.
  std::function<void(boost::program_options::options_description&)> add_flags;
  // Adds this kind's own routes. What it returns (clients, a saga, ...)
  // must live as long as the routes; an error stops the start.
  std::function<StatusOr<std::shared_ptr<void>>(Router&, const FrontendContext&)> add_routes;
  // The web pages this kind serves at "/" (src/web/site.h): one exact
  // route per file. Null: none.
  const std::vector<StaticFile>* site = nullptr;
};

// Every route of a frontend of `spec`: the account and health routes all
// frontends share (http/shared_routes.h), then spec.add_routes. The one
// place a frontend's routes are put together: the servers (RunFrontend),
// the in-process test stack, the OpenAPI coverage check and the fuzzers
// all build their routers with it. `router` must have been made with
// context.auth.
StatusOr<std::shared_ptr<void>> AddFrontendRoutes(Router& router, const FrontendSpec& spec,
                                                  const FrontendContext& context);

// The whole main() of a frontend: parses flags (and environment), connects
// to the DB services, serves until SIGINT/SIGTERM. Returns the exit status.
int RunFrontend(int argc, char** argv, const FrontendSpec& spec);

}  // namespace mp::http
