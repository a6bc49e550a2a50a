// mp-buyer-server: the buyer REST API (docs/contract.md §4). Stateless: sessions and
// carts live in the customer DB, items in the product DB.
#include "buyer_frontend/buyer_routes.h"
#include "http/frontend.h"

int main(int argc, char** argv) {
  return mp::http::RunFrontend(argc, argv, mp::buyer_frontend::BuyerFrontend());
}
