#pragma once

#include "http/auth.h"
#include "http/frontend.h"
#include "http/router.h"
#include "rpc/product_db_client.h"

namespace mp::seller_frontend {

// The seller rows of docs/contract.md §4 but the account ones (see http/shared_routes.h):
//   GET    /v1/rating            -> 200 {"up","down"}
//   POST   /v1/items             -> 201 {"item_id","quantity"}
//   PATCH  /v1/items/{id}        -> 200 item
//   DELETE /v1/items/{id}[?quantity=N] -> 200 item
//   GET    /v1/items             -> 200 {"items":[item...]}
// Every route needs a live seller session: `router` checks them with its
// SessionAuth. The references must outlive the router.
void AddSellerRoutes(http::Router& router, const rpc::ProductDbClient& products);

// The seller server (http/frontend.h): no flags of its own, the routes
// above.
http::FrontendSpec SellerFrontend();

}  // namespace mp::seller_frontend
