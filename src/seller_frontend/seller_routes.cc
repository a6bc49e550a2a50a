#include "seller_frontend/seller_routes.h"

#include <cstdint>

#include "common/types.h"
#include "http/json_fields.h"
#include "web/site.h"

namespace mp::seller_frontend {
namespace json = boost::json;
using http::Access;
using http::Caller;
using http::Reply;
using http::RequestPtr;
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

}  // namespace

void AddSellerRoutes(http::Router& router, const rpc::ProductDbClient& products) {
  router.Add(Verb::get, "/v1/rating", Access::kSessionBeside,
             [&](RequestPtr, Caller seller) -> Task<StatusOr<Reply>> {
               v1::GetSellerRatingRequest r;
               r.set_seller_id(seller.user_id);
               MP_CO_ASSIGN_OR_RETURN(v1::Feedback f, co_await products.AsyncGetSellerRating(r));
               co_return Reply::Ok(http::FeedbackJson(f.up(), f.down()));
             });

  router.Add(Verb::post, "/v1/items", Access::kSession,
             [&](RequestPtr req, Caller seller) -> Task<StatusOr<Reply>> {
               MP_CO_ASSIGN_OR_RETURN(v1::RegisterItemRequest r,
                                      ParseRegister(*req, seller.user_id));
               MP_CO_ASSIGN_OR_RETURN(v1::Item item, co_await products.AsyncRegisterItem(r));
               co_return Reply::Created(
                   json::object{{"item_id", item.id()}, {"quantity", item.quantity()}});
             });

  router.Add(Verb::patch, "/v1/items/{id}", Access::kSession,
             [&](RequestPtr req, Caller seller) -> Task<StatusOr<Reply>> {
               MP_CO_ASSIGN_OR_RETURN(json::object body, req->JsonBody());
               MP_CO_ASSIGN_OR_RETURN(Money price, http::RequiredPrice(body, "price"));
               v1::ChangePriceRequest r;
               r.set_seller_id(seller.user_id);
               r.set_item_id(req->Param("id"));
               r.set_price_cents(price.cents);
               MP_CO_ASSIGN_OR_RETURN(v1::Item item, co_await products.AsyncChangePrice(r));
               co_return Reply::Ok(http::ItemJson(item));
             });

  router.Add(Verb::delete_, "/v1/items/{id}", Access::kSession,
             [&](RequestPtr req, Caller seller) -> Task<StatusOr<Reply>> {
               MP_CO_ASSIGN_OR_RETURN(std::optional<int64_t> quantity,
                                      http::QueryInt(*req, "quantity", 1, kMaxQuantity));
               v1::WithdrawUnitsRequest r;
               r.set_seller_id(seller.user_id);
               r.set_item_id(req->Param("id"));
               if (quantity) r.set_quantity(*quantity);
               MP_CO_ASSIGN_OR_RETURN(v1::Item item, co_await products.AsyncWithdrawUnits(r));
               co_return Reply::Ok(http::ItemJson(item));
             });

  router.Add(Verb::get, "/v1/items", Access::kSessionBeside,
             [&](RequestPtr req, Caller seller) -> Task<StatusOr<Reply>> {
               // Paged like search: a seller's list has no bound of its own.
               MP_CO_ASSIGN_OR_RETURN(http::Page page,
                                      http::QueryPage(*req, kMaxSearchLimit, kDefaultSearchLimit));
               v1::ListSellerItemsRequest r;
               r.set_seller_id(seller.user_id);
               r.set_limit(page.limit);
               r.set_offset(page.offset);
               MP_CO_ASSIGN_OR_RETURN(v1::ItemList list, co_await products.AsyncListSellerItems(r));
               json::array items;
               for (const v1::Item& item : list.items()) items.push_back(http::ItemJson(item));
               co_return Reply::Ok(json::object{{"items", std::move(items)}});
             });
}

http::FrontendSpec SellerFrontend() {
  return {.component = "seller-server",
          .env_prefix = "MP_SELLER_",
          .role = v1::ROLE_SELLER,
          .default_listen = "127.0.0.1:8081",
          .add_flags = nullptr,
          .add_routes = [](http::Router& router,
                           const http::FrontendContext& c) -> StatusOr<std::shared_ptr<void>> {
            AddSellerRoutes(router, c.products);
            return std::shared_ptr<void>();
          },
          .site = &web::SellerSite()};
}

}  // namespace mp::seller_frontend
