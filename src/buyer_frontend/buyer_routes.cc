#include "buyer_frontend/buyer_routes.h"

#include <boost/program_options.hpp>
#include <charconv>
#include <ctime>
#include <map>

#include "buyer_frontend/purchase_saga.h"
#include "buyer_frontend/purchase_services.h"
#include "common/clock.h"
#include "common/fault.h"
#include "common/log.h"
#include "common/password.h"
#include "http/json_fields.h"
#include "rpc/channel_pool.h"
#include "rpc/payment_client.h"
#include "web/site.h"

namespace mp::buyer_frontend {
namespace json = boost::json;
using http::Access;
using http::Caller;
using http::Reply;
using http::RequestPtr;
using http::Verb;

namespace {

// "2026-11-24T06:53:46.123Z"
std::string IsoTime(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

// Comma-separated keywords from the query string ("a,b"); empty entries
// are refused so that "a,,b" is an error rather than a silent guess.
StatusOr<std::vector<std::string>> QueryKeywords(const http::Request& req) {
  std::vector<std::string> out;
  const std::string* text = req.Query("keywords");
  if (text == nullptr || text->empty()) return out;
  size_t start = 0;
  while (start <= text->size()) {
    size_t comma = std::min(text->find(',', start), text->size());
    if (comma == start) return InvalidArgument("keywords", "empty keyword");
    out.push_back(text->substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Renders a cart with the current name, price and units of each item, so
// that a buyer sees when stock fell under the cart's quantity.
Task<StatusOr<Reply>> CartReply(const rpc::ProductDbClient& products, v1::Cart cart) {
  v1::ItemList list;
  if (!cart.lines().empty()) {
    v1::GetItemsRequest r;
    for (const v1::CartLine& line : cart.lines()) r.add_item_ids(line.item_id());
    MP_CO_ASSIGN_OR_RETURN(list, co_await products.AsyncGetItems(r));
  }
  std::map<std::string, const v1::Item*> by_id;
  for (const v1::Item& item : list.items()) by_id[item.id()] = &item;
  json::array items;
  int64_t total = 0;
  bool over_limit = false;
  for (const v1::CartLine& line : cart.lines()) {
    auto it = by_id.find(line.item_id());
    const v1::Item* item = it == by_id.end() ? nullptr : it->second;
    int64_t price = item ? item->price_cents() : 0;
    // A cart may hold more than one order can cost: its total is then
    // shown as the maximum is passed (null), never wrapped.
    if (over_limit || !AddToOrderTotal(total, price, line.quantity()).ok()) over_limit = true;
    items.push_back(json::object{{"item_id", line.item_id()},
                                 {"name", item ? item->name() : ""},
                                 {"price", http::PriceJson(price)},
                                 {"quantity", line.quantity()},
                                 {"available", item ? item->quantity() : 0}});
  }
  co_return Reply::Ok(
      json::object{{"items", std::move(items)},
                   {"total", over_limit ? json::value(nullptr) : http::PriceJson(total)}});
}

// The session's cart as a customer DB call answered it, rendered.
Task<StatusOr<Reply>> CartReply(const rpc::ProductDbClient& products, StatusOr<v1::Cart> cart) {
  if (!cart.ok()) co_return cart.status();
  co_return co_await CartReply(products, *std::move(cart));
}

StatusOr<Card> ParseCard(const http::Request& req) {
  MP_ASSIGN_OR_RETURN(json::object body, req.JsonBody());
  Card card;
  MP_ASSIGN_OR_RETURN(card.holder_name, http::RequiredString(body, "name"));
  MP_ASSIGN_OR_RETURN(card.number, http::RequiredString(body, "card_number"));
  MP_ASSIGN_OR_RETURN(card.expiration, http::RequiredString(body, "expiration"));
  MP_RETURN_IF_ERROR(ValidateName("name", card.holder_name));
  if (body.contains("security_code") && !body.at("security_code").is_null()) {
    MP_ASSIGN_OR_RETURN(card.security_code, http::RequiredString(body, "security_code"));
    MP_RETURN_IF_ERROR(ValidateSecurityCode(card.security_code));
  }
  // Before anything is held: a malformed card never takes stock.
  MP_RETURN_IF_ERROR(ValidateCardNumber(card.number));
  MP_RETURN_IF_ERROR(ValidateExpiration(card.expiration));
  return card;
}

// 201 {"purchase_id", "items": [{"item_id", "name", "price", "quantity"}], "total"}.
Reply ReceiptReply(const PurchaseReceipt& receipt) {
  json::array items;
  for (const ReceiptLine& line : receipt.lines) {
    items.push_back(json::object{{"item_id", line.item_id},
                                 {"name", line.name},
                                 {"price", http::PriceJson(line.price_cents)},
                                 {"quantity", line.quantity}});
  }
  return Reply::Created(json::object{{"purchase_id", receipt.purchase_id},
                                     {"items", std::move(items)},
                                     {"total", http::PriceJson(receipt.total_cents)}});
}

}  // namespace

void AddBuyerRoutes(http::Router& router, const rpc::CustomerDbClient& customers,
                    const rpc::ProductDbClient& products) {
  router.Add(Verb::get, "/v1/items", Access::kSessionBeside,
             [&](RequestPtr req, Caller) -> Task<StatusOr<Reply>> {
               if (req->Query("category") == nullptr) {
                 co_return InvalidArgument("category", "is required");
               }
               MP_CO_ASSIGN_OR_RETURN(std::optional<int64_t> category,
                                      http::QueryInt(*req, "category", 0, kMaxCategory));
               MP_CO_ASSIGN_OR_RETURN(http::Page page,
                                      http::QueryPage(*req, kMaxSearchLimit, kDefaultSearchLimit));
               MP_CO_ASSIGN_OR_RETURN(std::vector<std::string> keywords, QueryKeywords(*req));
               v1::SearchRequest r;
               r.set_category(*category);
               r.set_limit(page.limit);
               r.set_offset(page.offset);
               for (std::string& k : keywords) r.add_keywords(std::move(k));
               MP_CO_ASSIGN_OR_RETURN(v1::SearchResponse found, co_await products.AsyncSearch(r));
               json::array items;
               for (const v1::ScoredItem& scored : found.items()) {
                 json::object item = http::ItemJson(scored.item());
                 item["score"] = scored.score();
                 items.push_back(std::move(item));
               }
               co_return Reply::Ok(json::object{{"items", std::move(items)}});
             });

  router.Add(Verb::get, "/v1/items/{id}", Access::kSessionBeside,
             [&](RequestPtr req, Caller) -> Task<StatusOr<Reply>> {
               v1::GetItemRequest r;
               r.set_item_id(req->Param("id"));
               MP_CO_ASSIGN_OR_RETURN(v1::Item item, co_await products.AsyncGetItem(r));
               co_return Reply::Ok(http::ItemJson(item));
             });

  // The session is checked by the customer DB in the transaction that adds
  // the line; the item's stock is read first, and the customer DB refuses a
  // line above it.
  router.Add(Verb::post, "/v1/cart/items", Access::kToken,
             [&](RequestPtr req, Caller buyer) -> Task<StatusOr<Reply>> {
               MP_CO_ASSIGN_OR_RETURN(json::object body, req->JsonBody());
               MP_CO_ASSIGN_OR_RETURN(std::string item_id, http::RequiredString(body, "item_id"));
               MP_CO_ASSIGN_OR_RETURN(int64_t quantity, http::RequiredInt(body, "quantity"));
               v1::GetItemRequest get;
               get.set_item_id(item_id);
               StatusOr<v1::Item> item = co_await products.AsyncGetItem(get);
               if (!item.ok()) {
                 // A caller without a live session learns nothing, not even
                 // that the item is missing: the session goes first.
                 v1::SessionRequest session = buyer.session;
                 MP_CO_RETURN_IF_ERROR((co_await customers.AsyncValidateSession(session)).status());
                 co_return item.status();
               }
               v1::AddToCartRequest r;
               *r.mutable_session() = std::move(buyer.session);
               r.set_item_id(item->id());
               r.set_quantity(quantity);
               r.set_available(item->quantity());
               co_return co_await CartReply(products, co_await customers.AsyncAddToCart(r));
             });

  router.Add(Verb::delete_, "/v1/cart/items/{id}", Access::kToken,
             [&](RequestPtr req, Caller buyer) -> Task<StatusOr<Reply>> {
               MP_CO_ASSIGN_OR_RETURN(std::optional<int64_t> quantity,
                                      http::QueryInt(*req, "quantity", 1, kMaxQuantity));
               v1::RemoveFromCartRequest r;
               *r.mutable_session() = std::move(buyer.session);
               r.set_item_id(req->Param("id"));
               if (quantity) r.set_quantity(*quantity);
               co_return co_await CartReply(products, co_await customers.AsyncRemoveFromCart(r));
             });

  router.Add(Verb::post, "/v1/cart/save", Access::kToken,
             [&](RequestPtr, Caller buyer) -> Task<StatusOr<Reply>> {
               MP_CO_RETURN_IF_ERROR((co_await customers.AsyncSaveCart(buyer.session)).status());
               co_return Reply::NoContent();
             });

  router.Add(Verb::delete_, "/v1/cart", Access::kToken,
             [&](RequestPtr, Caller buyer) -> Task<StatusOr<Reply>> {
               co_return co_await CartReply(products,
                                            co_await customers.AsyncClearCart(buyer.session));
             });

  router.Add(Verb::get, "/v1/cart", Access::kToken,
             [&](RequestPtr, Caller buyer) -> Task<StatusOr<Reply>> {
               co_return co_await CartReply(products,
                                            co_await customers.AsyncGetCart(buyer.session));
             });

  router.Add(Verb::post, "/v1/feedback", Access::kSession,
             [&](RequestPtr req, Caller buyer) -> Task<StatusOr<Reply>> {
               MP_CO_ASSIGN_OR_RETURN(json::object body, req->JsonBody());
               MP_CO_ASSIGN_OR_RETURN(std::string item_id, http::RequiredString(body, "item_id"));
               MP_CO_ASSIGN_OR_RETURN(std::string vote, http::RequiredString(body, "vote"));
               if (vote != "up" && vote != "down") {
                 co_return InvalidArgument("vote", "must be \"up\" or \"down\"");
               }
               v1::GetPurchasedQuantityRequest bought;
               bought.set_buyer_id(buyer.user_id);
               bought.set_item_id(item_id);
               MP_CO_ASSIGN_OR_RETURN(v1::GetPurchasedQuantityResponse purchased,
                                      co_await customers.AsyncGetPurchasedQuantity(bought));
               if (purchased.quantity() == 0) {
                 // Not bought: 404 for an unknown item, else 403.
                 v1::GetItemRequest get;
                 get.set_item_id(item_id);
                 MP_CO_ASSIGN_OR_RETURN(v1::Item item, co_await products.AsyncGetItem(get));
                 co_return PermissionDenied("you have not bought item " + item.id());
               }
               v1::VoteRequest r;
               r.set_buyer_id(buyer.user_id);
               r.set_item_id(item_id);
               r.set_vote(vote == "up" ? v1::VOTE_UP : v1::VOTE_DOWN);
               MP_CO_RETURN_IF_ERROR((co_await products.AsyncVote(r)).status());
               co_return Reply::NoContent();
             });

  router.Add(Verb::get, "/v1/sellers/{id}/rating", Access::kSessionBeside,
             [&](RequestPtr req, Caller) -> Task<StatusOr<Reply>> {
               int64_t seller_id = 0;
               const std::string& text = req->Param("id");
               auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seller_id);
               if (ec != std::errc() || end != text.data() + text.size() || seller_id <= 0) {
                 co_return InvalidArgument("seller_id", "must be a positive integer");
               }
               v1::GetAccountRequest account;
               account.set_role(v1::ROLE_SELLER);
               account.set_user_id(seller_id);
               v1::GetSellerRatingRequest r;
               r.set_seller_id(seller_id);
               // Both reads at once: the rating is given only if the seller
               // exists, and an unknown one has no rating to give away.
               auto get_seller = customers.AsyncGetAccount(account);
               auto get_rating = products.AsyncGetSellerRating(r);
               auto [seller, rating] = co_await WhenBoth(AsTask(get_seller), AsTask(get_rating));
               MP_CO_RETURN_IF_ERROR(seller.status());
               MP_CO_RETURN_IF_ERROR(rating.status());
               co_return Reply::Ok(http::FeedbackJson(rating->up(), rating->down()));
             });

  router.Add(Verb::get, "/v1/purchases", Access::kToken,
             [&](RequestPtr req, Caller buyer) -> Task<StatusOr<Reply>> {
               MP_CO_ASSIGN_OR_RETURN(
                   http::Page page, http::QueryPage(*req, kMaxPurchasePage, kDefaultPurchasePage));
               v1::ListPurchasesRequest r;
               *r.mutable_session() = std::move(buyer.session);
               r.set_limit(page.limit);
               r.set_offset(page.offset);
               MP_CO_ASSIGN_OR_RETURN(v1::PurchaseList list,
                                      co_await customers.AsyncListPurchases(r));
               json::array purchases;
               for (const v1::Purchase& p : list.purchases()) {
                 purchases.push_back(json::object{{"purchase_id", p.purchase_id()},
                                                  {"item_id", p.item_id()},
                                                  {"quantity", p.quantity()},
                                                  {"price", http::PriceJson(p.price_cents())},
                                                  {"time", IsoTime(p.time_ms())}});
               }
               co_return Reply::Ok(json::object{{"purchases", std::move(purchases)}});
             });
}

void AddPurchaseRoute(http::Router& router, PurchaseSaga& saga) {
  router.Add(Verb::post, "/v1/purchases", Access::kToken,
             [&](RequestPtr req, Caller buyer) -> Task<StatusOr<Reply>> {
               MP_CO_ASSIGN_OR_RETURN(Card card, ParseCard(*req));
               // With a key, a retry names the same purchase and gets its
               // first outcome.
               std::string purchase_id = RandomToken().substr(0, 32);
               if (!req->idempotency_key.empty()) {
                 MP_CO_RETURN_IF_ERROR(ValidateKey("Idempotency-Key", req->idempotency_key));
                 purchase_id = DeriveId(std::to_string(buyer.user_id), req->idempotency_key);
               }
               MP_CO_ASSIGN_OR_RETURN(
                   PurchaseReceipt receipt,
                   co_await saga.Purchase(std::move(buyer.session), std::move(purchase_id),
                                          std::move(card)));
               co_return ReceiptReply(receipt);
             });
}

http::FrontendSpec BuyerFrontend(std::shared_ptr<BuyerOptions> options) {
  auto add_flags = [options](boost::program_options::options_description& desc) {
    namespace po = boost::program_options;
    BuyerOptions& o = *options;
    desc.add_options()(
        "payment-url", po::value(&o.payment_url)->default_value(o.payment_url),
        "the payment service's SOAP URL; its replicas' URLs, a,b,..., when they share one "
        "PostgreSQL database")("purchase-threads",
                               po::value(&o.purchase_threads)->default_value(o.purchase_threads),
                               "threads making payment calls")(
        "recovery-age", po::value(&o.recovery_age_s)->default_value(o.recovery_age_s),
        "seconds before recovery settles a pending purchase")(
        "crash-at", po::value(&o.crash_at), "tests only: die after this purchase step");
  };
  auto add_routes = [options](http::Router& router,
                              const http::FrontendContext& c) -> StatusOr<std::shared_ptr<void>> {
    const BuyerOptions& o = *options;
    if (!o.crash_at.empty()) log::Warn("test crash point armed: {}", o.crash_at);
    std::vector<std::unique_ptr<rpc::PaymentClient>> payment_clients;
    for (const std::string& url : rpc::SplitAddresses(o.payment_url)) {
      MP_ASSIGN_OR_RETURN(tls::SslContext tls, rpc::PaymentTlsContext(url, c.backend_tls));
      payment_clients.push_back(std::make_unique<rpc::PaymentClient>(url, std::move(tls)));
    }
    if (payment_clients.empty()) return InvalidArgument("payment-url", "is empty");
    struct Purchases {
      Purchases(const BuyerOptions& o, const http::FrontendContext& c,
                std::vector<std::unique_ptr<rpc::PaymentClient>> clients)
          : payment_clients(std::move(clients)),
            ledger(c.customers),
            stock(c.products),
            payment(Pointers(payment_clients)),
            saga(ledger, stock, payment, clock,
                 {.threads = o.purchase_threads,
                  .recovery_age = std::chrono::seconds(o.recovery_age_s),
                  .recovery_period = std::chrono::seconds(std::max(1, o.recovery_age_s / 2)),
                  .crash = CrashPoint(o.crash_at)}) {}
      static std::vector<const rpc::PaymentClient*> Pointers(
          const std::vector<std::unique_ptr<rpc::PaymentClient>>& clients) {
        std::vector<const rpc::PaymentClient*> pointers;
        for (const auto& client : clients) pointers.push_back(client.get());
        return pointers;
      }
      std::vector<std::unique_ptr<rpc::PaymentClient>> payment_clients;
      RpcPurchaseLedger ledger;
      RpcPurchaseStock stock;
      SoapPurchasePayment payment;
      SystemClock clock;
      PurchaseSaga saga;
    };
    auto purchases = std::make_shared<Purchases>(o, c, std::move(payment_clients));
    const PurchaseSaga* saga = &purchases->saga;
    router.metrics().AddCounter("mp_purchase_recovered_total",
                                "Pending purchase attempts that recovery settled.",
                                [saga] { return saga->recovered(); });
    router.metrics().AddCounter("mp_purchase_recovery_failures_total",
                                "Tries of recovery to settle an attempt that failed (retried "
                                "next pass).",
                                [saga] { return saga->recovery_failures(); });
    router.metrics().AddCounter("mp_purchase_stock_commit_failures_total",
                                "Completed purchases whose CommitStock failed (their take "
                                "stays held; no count changes).",
                                [saga] { return saga->stock_commit_failures(); });
    AddBuyerRoutes(router, c.customers, c.products);
    AddPurchaseRoute(router, purchases->saga);
    return std::shared_ptr<void>(purchases);
  };
  return {.component = "buyer-server",
          .env_prefix = "MP_BUYER_",
          .role = v1::ROLE_BUYER,
          .default_listen = "127.0.0.1:8082",
          .add_flags = add_flags,
          .add_routes = add_routes,
          .site = &web::BuyerSite()};
}

}  // namespace mp::buyer_frontend
