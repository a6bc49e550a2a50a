#pragma once

#include <memory>

#include "buyer_frontend/buyer_options.h"
#include "http/auth.h"
#include "http/frontend.h"
#include "http/router.h"
#include "rpc/customer_db_client.h"
#include "rpc/product_db_client.h"

namespace mp::buyer_frontend {

// The buyer rows of docs/contract.md §4 but the account ones (http/shared_routes.h) and
// MakePurchase. Every route needs a live buyer session:
//   GET    /v1/items?category=C&keywords=a,b&limit=L&offset=O -> {"items":[item+"score"]}
//   GET    /v1/items/{id}                  -> item
//   POST   /v1/cart/items {item_id,quantity} -> cart
//   DELETE /v1/cart/items/{id}[?quantity=N] -> cart
//   POST   /v1/cart/save                   -> 204
//   DELETE /v1/cart                        -> cart
//   GET    /v1/cart                        -> cart
//   POST   /v1/feedback {item_id,vote}     -> 204
//   GET    /v1/sellers/{id}/rating         -> {"up","down"}
//   GET    /v1/purchases                   -> {"purchases":[...]}
// `router` checks the sessions with its SessionAuth. The references must
// outlive the router.
void AddBuyerRoutes(http::Router& router, const rpc::CustomerDbClient& customers,
                    const rpc::ProductDbClient& products);

// POST /v1/purchases {name,card_number,expiration,security_code?}, with an
// optional Idempotency-Key header -> 201 {"purchase_id","items","total"}.
// `saga` must outlive the router.
class PurchaseSaga;
void AddPurchaseRoute(http::Router& router, PurchaseSaga& saga);

// The buyer server (http/frontend.h): its flags (--payment-url,
// --purchase-threads, --recovery-age, --crash-at) write into `options`, and
// its routes are all of the above, over a payment client and a saga (with
// its recovery) that live as long as the routes.
http::FrontendSpec BuyerFrontend(
    std::shared_ptr<BuyerOptions> options = std::make_shared<BuyerOptions>());

}  // namespace mp::buyer_frontend
