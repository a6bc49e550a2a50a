// mp-seller-server: the seller REST API (docs/contract.md §4). Stateless: sessions live
// in the customer DB, items in the product DB.
#include "http/frontend.h"
#include "seller_frontend/seller_routes.h"

int main(int argc, char** argv) {
  return mp::http::RunFrontend(argc, argv, mp::seller_frontend::SellerFrontend());
}
