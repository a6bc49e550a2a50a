#include "buyer_frontend/buyer_routes.h"

#include <charconv>
#include <ctime>
#include <map>

#include "buyer_frontend/purchase_saga.h"
#include "common/password.h"
#include "http/json_fields.h"

namespace mp::buyer_frontend {
namespace json = boost::json;
using http::Done;
using http::Reply;
using http::RequestPtr;
using http::Then;
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
void ReplyWithCart(const rpc::ProductDbClient& products, const v1::Cart& cart, Done done) {
  v1::GetItemsRequest r;
  for (const v1::CartLine& line : cart.lines()) r.add_item_ids(line.item_id());
  auto render = [cart](v1::ItemList list, Done done) {
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
    done(Reply::Ok(
        json::object{{"items", std::move(items)},
                     {"total", over_limit ? json::value(nullptr) : http::PriceJson(total)}}));
  };
  if (cart.lines().empty()) return render(v1::ItemList(), std::move(done));
  products.GetItems(r, Then<v1::ItemList>(std::move(done), std::move(render)));
}

}  // namespace

void AddBuyerRoutes(http::Router& router, const http::SessionAuth& auth,
                    const rpc::CustomerDbClient& customers, const rpc::ProductDbClient& products) {
  auto cart_reply = [&products](v1::Cart cart, Done done) {
    ReplyWithCart(products, cart, std::move(done));
  };

  router.Add(Verb::get, "/v1/items", [&](RequestPtr req, Done done) {
    auth.ReadAlongside(
        *req,
        [&, req](int64_t, Done done) {
          v1::SearchRequest r;
          const std::string* category = req->Query("category");
          if (category == nullptr) return done(InvalidArgument("category", "is required"));
          auto c = http::QueryInt(*req, "category", 0, kMaxCategory);
          auto limit = http::QueryInt(*req, "limit", 1, kMaxSearchLimit);
          auto offset = http::QueryInt(*req, "offset", 0, INT32_MAX);
          auto keywords = QueryKeywords(*req);
          for (const Status& s : {c.status(), limit.status(), offset.status(), keywords.status()}) {
            if (!s.ok()) return done(s);
          }
          r.set_category(**c);
          r.set_limit(static_cast<int32_t>(limit->value_or(kDefaultSearchLimit)));
          r.set_offset(static_cast<int32_t>(offset->value_or(0)));
          for (std::string& k : *keywords) r.add_keywords(std::move(k));
          products.Search(r, Then<v1::SearchResponse>(std::move(done), [](auto found, Done done) {
                            json::array items;
                            for (const v1::ScoredItem& s : found.items()) {
                              json::object item = http::ItemJson(s.item());
                              item["score"] = s.score();
                              items.push_back(std::move(item));
                            }
                            done(Reply::Ok(json::object{{"items", std::move(items)}}));
                          }));
        },
        std::move(done));
  });

  router.Add(Verb::get, "/v1/items/{id}", [&](RequestPtr req, Done done) {
    auth.ReadAlongside(
        *req,
        [&, req](int64_t, Done done) {
          v1::GetItemRequest r;
          r.set_item_id(req->Param("id"));
          products.GetItem(r, Then<v1::Item>(std::move(done), [](auto item, Done done) {
                             done(Reply::Ok(http::ItemJson(item)));
                           }));
        },
        std::move(done));
  });

  router.Add(Verb::post, "/v1/cart/items", [&, cart_reply](RequestPtr req, Done done) {
    auto session = auth.SessionFromToken(*req);
    if (!session.ok()) return done(session.status());
    auto body = req->JsonBody();
    if (!body.ok()) return done(body.status());
    auto item_id = http::RequiredString(*body, "item_id");
    if (!item_id.ok()) return done(item_id.status());
    auto quantity = http::RequiredInt(*body, "quantity");
    if (!quantity.ok()) return done(quantity.status());
    v1::GetItemRequest get;
    get.set_item_id(*item_id);
    // The stock is read first; the customer DB then refuses a cart line
    // above it, and checks the session, in one transaction.
    auto add = [&, s = *session, q = *quantity, cart_reply](v1::Item item, Done done) {
      v1::AddToCartRequest r;
      *r.mutable_session() = s;
      r.set_item_id(item.id());
      r.set_quantity(q);
      r.set_available(item.quantity());
      customers.AddToCart(r, Then<v1::Cart>(std::move(done), cart_reply));
    };
    products.GetItem(get, [&, req, add = std::move(add),
                           done = std::move(done)](StatusOr<v1::Item> item) mutable {
      if (item.ok()) return add(std::move(item).value(), std::move(done));
      // The session is checked before the item's error is told: a caller
      // without a live session learns nothing, not even that it is missing.
      auth.Check(*req,
                 [done = std::move(done), error = item.status()](StatusOr<v1::SessionInfo> live) {
                   done(live.ok() ? error : live.status());
                 });
    });
  });

  router.Add(Verb::delete_, "/v1/cart/items/{id}", [&, cart_reply](RequestPtr req, Done done) {
    auto session = auth.SessionFromToken(*req);
    if (!session.ok()) return done(session.status());
    auto quantity = http::QueryInt(*req, "quantity", 1, kMaxQuantity);
    if (!quantity.ok()) return done(quantity.status());
    v1::RemoveFromCartRequest r;
    *r.mutable_session() = *session;
    r.set_item_id(req->Param("id"));
    if (*quantity) r.set_quantity(**quantity);
    customers.RemoveFromCart(r, Then<v1::Cart>(std::move(done), cart_reply));
  });

  router.Add(Verb::post, "/v1/cart/save", [&](RequestPtr req, Done done) {
    auto session = auth.SessionFromToken(*req);
    if (!session.ok()) return done(session.status());
    customers.SaveCart(*session, Then<v1::Empty>(std::move(done), [](auto, Done done) {
      done(Reply::NoContent());
    }));
  });

  router.Add(Verb::delete_, "/v1/cart", [&, cart_reply](RequestPtr req, Done done) {
    auto session = auth.SessionFromToken(*req);
    if (!session.ok()) return done(session.status());
    customers.ClearCart(*session, Then<v1::Cart>(std::move(done), cart_reply));
  });

  router.Add(Verb::get, "/v1/cart", [&, cart_reply](RequestPtr req, Done done) {
    auto session = auth.SessionFromToken(*req);
    if (!session.ok()) return done(session.status());
    customers.GetCart(*session, Then<v1::Cart>(std::move(done), cart_reply));
  });

  router.Add(Verb::post, "/v1/feedback", [&](RequestPtr req, Done done) {
    auth.Check(*req, Then<v1::SessionInfo>(std::move(done), [&, req](auto session, Done done) {
      auto body = req->JsonBody();
      if (!body.ok()) return done(body.status());
      auto item_id = http::RequiredString(*body, "item_id");
      if (!item_id.ok()) return done(item_id.status());
      auto vote = http::RequiredString(*body, "vote");
      if (!vote.ok()) return done(vote.status());
      if (*vote != "up" && *vote != "down") {
        return done(InvalidArgument("vote", "must be \"up\" or \"down\""));
      }
      v1::VoteRequest r;
      r.set_buyer_id(session.user_id());
      r.set_item_id(*item_id);
      r.set_vote(*vote == "up" ? v1::VOTE_UP : v1::VOTE_DOWN);
      v1::GetPurchasedQuantityRequest bought;
      bought.set_buyer_id(session.user_id());
      bought.set_item_id(*item_id);
      customers.GetPurchasedQuantity(
          bought,
          Then<v1::GetPurchasedQuantityResponse>(std::move(done), [&, r](auto bought, Done done) {
            if (bought.quantity() > 0) {
              return products.Vote(
                  r, Then<v1::Empty>(std::move(done), [](auto, Done d) { d(Reply::NoContent()); }));
            }
            // Not bought: 404 for an unknown item, else 403.
            v1::GetItemRequest get;
            get.set_item_id(r.item_id());
            products.GetItem(get, Then<v1::Item>(std::move(done), [](auto item, Done d) {
                               d(PermissionDenied("you have not bought item " + item.id()));
                             }));
          }));
    }));
  });

  router.Add(Verb::get, "/v1/sellers/{id}/rating", [&](RequestPtr req, Done done) {
    auth.ReadAlongside(
        *req,
        [&, req](int64_t, Done done) {
          int64_t seller_id = 0;
          const std::string& text = req->Param("id");
          auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seller_id);
          if (ec != std::errc() || end != text.data() + text.size() || seller_id <= 0) {
            return done(InvalidArgument("seller_id", "must be a positive integer"));
          }
          v1::GetAccountRequest account;
          account.set_role(v1::ROLE_SELLER);
          account.set_user_id(seller_id);
          customers.GetAccount(account, Then<v1::Account>(std::move(done), [&](auto a, Done done) {
                                 v1::GetSellerRatingRequest r;
                                 r.set_seller_id(a.user_id());
                                 products.GetSellerRating(
                                     r, Then<v1::Feedback>(std::move(done), [](auto f, Done done) {
                                       done(Reply::Ok(http::FeedbackJson(f.up(), f.down())));
                                     }));
                               }));
        },
        std::move(done));
  });

  router.Add(Verb::get, "/v1/purchases", [&](RequestPtr req, Done done) {
    auto session = auth.SessionFromToken(*req);
    if (!session.ok()) return done(session.status());
    auto limit = http::QueryInt(*req, "limit", 1, kMaxPurchasePage);
    if (!limit.ok()) return done(limit.status());
    auto offset = http::QueryInt(*req, "offset", 0, INT32_MAX);
    if (!offset.ok()) return done(offset.status());
    v1::ListPurchasesRequest r;
    *r.mutable_session() = *session;
    r.set_limit(static_cast<int32_t>(limit->value_or(kDefaultPurchasePage)));
    r.set_offset(static_cast<int32_t>(offset->value_or(0)));
    customers.ListPurchases(
        r, Then<v1::PurchaseList>(std::move(done), [](auto list, Done done) {
          json::array purchases;
          for (const v1::Purchase& p : list.purchases()) {
            purchases.push_back(json::object{{"purchase_id", p.purchase_id()},
                                             {"item_id", p.item_id()},
                                             {"quantity", p.quantity()},
                                             {"price", http::PriceJson(p.price_cents())},
                                             {"time", IsoTime(p.time_ms())}});
          }
          done(Reply::Ok(json::object{{"purchases", std::move(purchases)}}));
        }));
  });
}

void AddPurchaseRoute(http::Router& router, const http::SessionAuth& auth, PurchaseSaga& saga) {
  router.Add(Verb::post, "/v1/purchases", [&](RequestPtr req, Done done) {
    auto session = auth.SessionFromToken(*req);
    if (!session.ok()) return done(session.status());
    auto body = req->JsonBody();
    if (!body.ok()) return done(body.status());
    Card card;
    for (auto [field, out] :
         {std::pair{"name", &card.holder_name}, std::pair{"card_number", &card.number},
          std::pair{"expiration", &card.expiration}}) {
      auto value = http::RequiredString(*body, field);
      if (!value.ok()) return done(value.status());
      *out = std::move(value).value();
    }
    if (Status s = ValidateName("name", card.holder_name); !s.ok()) return done(s);
    if (body->contains("security_code") && !body->at("security_code").is_null()) {
      auto code = http::RequiredString(*body, "security_code");
      if (!code.ok()) return done(code.status());
      card.security_code = std::move(code).value();
      if (Status s = ValidateSecurityCode(card.security_code); !s.ok()) return done(s);
    }
    // Before anything is held: a malformed card never takes stock.
    for (const Status& s : {ValidateCardNumber(card.number), ValidateExpiration(card.expiration)}) {
      if (!s.ok()) return done(s);
    }
    // With a key, a retry names the same purchase and gets its first outcome.
    std::string purchase_id = RandomToken().substr(0, 32);
    if (!req->idempotency_key.empty()) {
      if (Status s = ValidateKey("Idempotency-Key", req->idempotency_key); !s.ok()) {
        return done(s);
      }
      auto claims_user = auth.UserFromToken(*req);
      if (!claims_user.ok()) return done(claims_user.status());
      purchase_id = DeriveId(std::to_string(*claims_user), req->idempotency_key);
    }
    saga.Purchase(std::move(session).value(), std::move(purchase_id), std::move(card),
                  std::move(done));
  });
}

std::shared_ptr<void> AddBuyerRoutes(http::Router& router, const http::FrontendContext& c) {
  struct Purchases {
    Purchases(const http::FrontendContext& c)
        : payment(c.options.payment_url, c.payment_tls),
          saga(c.customers, c.products, payment,
               {.threads = c.options.purchase_threads,
                .recovery_age = std::chrono::seconds(c.options.recovery_age_s),
                .recovery_period = std::chrono::seconds(std::max(1, c.options.recovery_age_s / 2)),
                .crash = CrashPoint(c.options.crash_at)}) {}
    rpc::PaymentClient payment;
    PurchaseSaga saga;
  };
  auto purchases = std::make_shared<Purchases>(c);
  const PurchaseSaga* saga = &purchases->saga;
  router.metrics().AddCounter("mp_purchase_recovered_total",
                              "Pending purchase attempts that recovery settled.",
                              [saga] { return saga->recovered(); });
  router.metrics().AddCounter("mp_purchase_recovery_failures_total",
                              "Tries of recovery to settle an attempt that failed (retried next "
                              "pass).",
                              [saga] { return saga->recovery_failures(); });
  AddBuyerRoutes(router, c.auth, c.customers, c.products);
  AddPurchaseRoute(router, c.auth, purchases->saga);
  return purchases;
}

}  // namespace mp::buyer_frontend
