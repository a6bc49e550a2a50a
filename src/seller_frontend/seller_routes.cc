#include "seller_frontend/seller_routes.h"

#include <cstdint>

#include "common/types.h"
#include "http/json_fields.h"

namespace mp::seller_frontend {
namespace json = boost::json;
using http::Done;
using http::Reply;
using http::RequestPtr;
using http::Then;
using http::Verb;

namespace {

// Reads the RegisterItemForSale body into a request (the DB service checks
// the ranges; here only presence and JSON types).
StatusOr<v1::RegisterItemRequest> ParseRegister(const http::Request& req, int64_t seller_id) {
  MP_ASSIGN_OR_RETURN(json::object body, req.JsonBody());
  v1::RegisterItemRequest r;
  r.set_seller_id(seller_id);
  MP_ASSIGN_OR_RETURN(std::string name, http::RequiredString(body, "name"));
  r.set_name(std::move(name));
  MP_ASSIGN_OR_RETURN(int64_t category, http::RequiredInt(body, "category"));
  r.set_category(category);
  MP_ASSIGN_OR_RETURN(std::vector<std::string> keywords,
                      http::OptionalStringArray(body, "keywords"));
  for (std::string& k : keywords) r.add_keywords(std::move(k));
  MP_ASSIGN_OR_RETURN(std::string condition_text, http::RequiredString(body, "condition"));
  MP_ASSIGN_OR_RETURN(v1::Condition condition, http::ParseCondition(condition_text));
  r.set_condition(condition);
  MP_ASSIGN_OR_RETURN(Money price, http::RequiredPrice(body, "price"));
  r.set_price_cents(price.cents);
  MP_ASSIGN_OR_RETURN(int64_t quantity, http::RequiredInt(body, "quantity"));
  r.set_quantity(quantity);
  return r;
}

auto ItemReply() {
  return [](v1::Item item, Done done) { done(Reply::Ok(http::ItemJson(item))); };
}

}  // namespace

void AddSellerRoutes(http::Router& router, const http::SessionAuth& auth,
                     const rpc::ProductDbClient& products) {
  router.Add(Verb::get, "/v1/rating", [&](RequestPtr req, Done done) {
    auth.ReadAlongside(
        *req,
        [&](int64_t seller_id, Done done) {
          v1::GetSellerRatingRequest r;
          r.set_seller_id(seller_id);
          products.GetSellerRating(r, Then<v1::Feedback>(std::move(done), [](auto f, Done done) {
                                     done(Reply::Ok(http::FeedbackJson(f.up(), f.down())));
                                   }));
        },
        std::move(done));
  });

  router.Add(Verb::post, "/v1/items", [&](RequestPtr req, Done done) {
    auth.Check(*req, Then<v1::SessionInfo>(std::move(done), [&, req](auto session, Done done) {
      auto r = ParseRegister(*req, session.user_id());
      if (!r.ok()) return done(r.status());
      products.RegisterItem(*r, Then<v1::Item>(std::move(done), [](auto item, Done done) {
        done(Reply::Created(json::object{{"item_id", item.id()}, {"quantity", item.quantity()}}));
      }));
    }));
  });

  router.Add(Verb::patch, "/v1/items/{id}", [&](RequestPtr req, Done done) {
    auth.Check(*req, Then<v1::SessionInfo>(std::move(done), [&, req](auto session, Done done) {
      auto body = req->JsonBody();
      if (!body.ok()) return done(body.status());
      auto price = http::RequiredPrice(*body, "price");
      if (!price.ok()) return done(price.status());
      v1::ChangePriceRequest r;
      r.set_seller_id(session.user_id());
      r.set_item_id(req->Param("id"));
      r.set_price_cents(price->cents);
      products.ChangePrice(r, Then<v1::Item>(std::move(done), ItemReply()));
    }));
  });

  router.Add(Verb::delete_, "/v1/items/{id}", [&](RequestPtr req, Done done) {
    auth.Check(*req, Then<v1::SessionInfo>(std::move(done), [&, req](auto session, Done done) {
      auto quantity = http::QueryInt(*req, "quantity", 1, kMaxQuantity);
      if (!quantity.ok()) return done(quantity.status());
      v1::WithdrawUnitsRequest r;
      r.set_seller_id(session.user_id());
      r.set_item_id(req->Param("id"));
      if (*quantity) r.set_quantity(**quantity);
      products.WithdrawUnits(r, Then<v1::Item>(std::move(done), ItemReply()));
    }));
  });

  router.Add(Verb::get, "/v1/items", [&](RequestPtr req, Done done) {
    auth.ReadAlongside(
        *req,
        [&, req](int64_t seller_id, Done done) {
          // Paged like search: a seller's list has no bound of its own.
          auto limit = http::QueryInt(*req, "limit", 1, kMaxSearchLimit);
          auto offset = http::QueryInt(*req, "offset", 0, INT32_MAX);
          for (const Status& s : {limit.status(), offset.status()}) {
            if (!s.ok()) return done(s);
          }
          v1::ListSellerItemsRequest r;
          r.set_seller_id(seller_id);
          r.set_limit(static_cast<int32_t>(limit->value_or(kDefaultSearchLimit)));
          r.set_offset(static_cast<int32_t>(offset->value_or(0)));
          products.ListSellerItems(r, Then<v1::ItemList>(std::move(done), [](auto list, Done done) {
                                     json::array items;
                                     for (const v1::Item& item : list.items())
                                       items.push_back(http::ItemJson(item));
                                     done(Reply::Ok(json::object{{"items", std::move(items)}}));
                                   }));
        },
        std::move(done));
  });
}

}  // namespace mp::seller_frontend
