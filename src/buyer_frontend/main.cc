// mp-buyer-server: the buyer REST API (docs/contract.md §4). Stateless: sessions and
// carts live in the customer DB, items in the product DB.
#include "buyer_frontend/buyer_routes.h"
#include "http/frontend.h"

int main(int argc, char** argv) {
  return mp::http::RunFrontend(
      argc, argv,
      {.component = "buyer-server",
       .env_prefix = "MP_BUYER_",
       .role = mp::v1::ROLE_BUYER,
       .default_listen = "127.0.0.1:8082",
       .add_routes =
           [](mp::http::Router& router, const mp::http::FrontendContext& c) {
             return mp::buyer_frontend::AddBuyerRoutes(router, c);
           },
       .calls_payment = true});
}
