// mp-seller-server: the seller REST API (docs/contract.md §4). Stateless: sessions live
// in the customer DB, items in the product DB.
#include "http/frontend.h"
#include "seller_frontend/seller_routes.h"

int main(int argc, char** argv) {
  return mp::http::RunFrontend(
      argc, argv,
      {.component = "seller-server",
       .env_prefix = "MP_SELLER_",
       .role = mp::v1::ROLE_SELLER,
       .default_listen = "127.0.0.1:8081",
       .add_routes = [](mp::http::Router& router, const mp::http::FrontendContext& c) {
         mp::seller_frontend::AddSellerRoutes(router, c.products);
         return std::shared_ptr<void>();
       }});
}
