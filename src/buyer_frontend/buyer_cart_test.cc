#include <map>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "buyer_frontend/buyer_test_fixture.h"
#include "http_expect.h"

namespace mp::buyer_frontend {
namespace {

using testing::ExpectRefused;
using testing::HttpResult;
using testing::TestHttpClient;
using Lines = std::map<std::string, int64_t>;

TEST_P(BuyerApiTest, AddsRemovesClearsAndDisplaysTheCart) {
  std::string x = Register("Lamp", 3, {"lamp"}, 12.5, 4);
  std::string y = Register("Mug", 4, {"mug"}, 3, 2);
  EXPECT_EQ(Cart(token_), json::parse(R"({"items":[],"total":0})"));

  auto add = [&](const std::string& id, int64_t quantity) {
    return http_->Post("/v1/cart/items", json::object{{"item_id", id}, {"quantity", quantity}},
                       token_);
  };
  HttpResult added = add(x, 1);
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.json(), Cart(token_));  // the answer is the cart
  EXPECT_EQ(add(x, 2).status, 200);
  ExpectRefused(add(x, 2), 409, "insufficient_quantity");  // 3 + 2 > 4
  EXPECT_EQ(add(y, 2).status, 200);
  EXPECT_EQ(CartLines(token_), (Lines{{x, 3}, {y, 2}}));

  // Display: current name, price and units available of each line.
  json::value cart = Cart(token_);
  EXPECT_EQ(cart, json::parse(R"({"items":[)"
                              R"({"item_id":")" +
                              x +
                              R"(","name":"Lamp","price":12.5,"quantity":3,"available":4},)"
                              R"({"item_id":")" +
                              y +
                              R"(","name":"Mug","price":3,"quantity":2,"available":2}],)"
                              R"("total":43.5})"));

  // The seller reprices and withdraws: the cart shows it at once, and the
  // buyer sees that stock fell under the cart's quantity.
  ASSERT_EQ(sellers_->Patch("/v1/items/" + x, json::object{{"price", 10}}, seller_token_).status,
            200);
  ASSERT_EQ(sellers_->Delete("/v1/items/" + x + "?quantity=2", seller_token_).status, 200);
  cart = Cart(token_);
  const json::value& lamp = cart.at("items").at(0);
  EXPECT_EQ(lamp.at("price"), json::value(10));
  EXPECT_EQ(lamp.at("quantity").as_int64(), 3);
  EXPECT_EQ(lamp.at("available").as_int64(), 2);
  EXPECT_EQ(cart.at("total"), json::value(36));
  ExpectRefused(add(x, 1), 409, "insufficient_quantity");

  // Remove some, then the rest, then an item no longer in the cart.
  HttpResult removed = http_->Delete("/v1/cart/items/" + x + "?quantity=1", token_);
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(removed.json(), Cart(token_));
  EXPECT_EQ(CartLines(token_), (Lines{{x, 2}, {y, 2}}));
  EXPECT_EQ(http_->Delete("/v1/cart/items/" + x, token_).status, 200);
  EXPECT_EQ(CartLines(token_), (Lines{{y, 2}}));
  ExpectRefused(http_->Delete("/v1/cart/items/" + x, token_), 404, "not_found");
  // At least the cart's quantity removes the whole line (docs/api/buyer.yaml).
  EXPECT_EQ(http_->Delete("/v1/cart/items/" + y + "?quantity=5", token_).status, 200);
  EXPECT_TRUE(CartLines(token_).empty());

  // Clear answers the empty cart; an item sold out cannot be added.
  EXPECT_EQ(add(y, 1).status, 200);
  HttpResult cleared = http_->Delete("/v1/cart", token_);
  ASSERT_EQ(cleared.status, 200);
  EXPECT_EQ(cleared.json(), json::parse(R"({"items":[],"total":0})"));
  ASSERT_EQ(sellers_->Delete("/v1/items/" + y, seller_token_).status, 200);
  ExpectRefused(add(y, 1), 409, "insufficient_quantity");
  EXPECT_TRUE(CartLines(token_).empty());
}

TEST_P(BuyerApiTest, LogoutDiscardsTheWorkingCartAndKeepsTheSavedOne) {
  std::string x = Register("X", 3, {"x"});
  std::string y = Register("Y", 3, {"y"});
  auto add = [&](const std::string& token, const std::string& id, int64_t quantity) {
    return http_->Post("/v1/cart/items", json::object{{"item_id", id}, {"quantity", quantity}},
                       token);
  };
  ASSERT_EQ(add(token_, x, 1).status, 200);
  HttpResult saved = http_->Post("/v1/cart/save", json::object{}, token_);
  EXPECT_EQ(saved.status, 204);
  EXPECT_TRUE(saved.body.empty());
  ASSERT_EQ(add(token_, y, 1).status, 200);  // working cart only
  ASSERT_EQ(http_->Delete("/v1/sessions/current", token_).status, 204);
  ExpectRefused(http_->Get("/v1/cart", token_), 401, "unauthenticated");

  std::string again = LogInAgain();
  EXPECT_EQ(CartLines(again), (Lines{{x, 1}}));
  // Clearing the working cart leaves the saved one until the next save.
  ASSERT_EQ(http_->Delete("/v1/cart", again).status, 200);
  EXPECT_EQ(CartLines(LogInAgain()), (Lines{{x, 1}}));
  ASSERT_EQ(http_->Post("/v1/cart/save", json::object{}, again).status, 204);
  EXPECT_TRUE(CartLines(LogInAgain()).empty());
}

// Two sessions of one buyer: independent working carts, one saved cart.
TEST_P(BuyerApiTest, SessionsHaveTheirOwnWorkingCartsAndShareTheSavedCart) {
  std::string x = Register("X", 3, {"x"});
  std::string y = Register("Y", 3, {"y"});
  std::string first = token_;
  std::string second = LogInAgain();
  auto add = [&](const std::string& token, const std::string& id) {
    return http_->Post("/v1/cart/items", json::object{{"item_id", id}, {"quantity", 1}}, token)
        .status;
  };
  EXPECT_EQ(add(first, x), 200);
  EXPECT_EQ(CartLines(first), (Lines{{x, 1}}));
  EXPECT_TRUE(CartLines(second).empty());

  EXPECT_EQ(add(second, y), 200);
  EXPECT_EQ(http_->Post("/v1/cart/save", json::object{}, second).status, 204);
  EXPECT_EQ(CartLines(first), (Lines{{x, 1}}));  // not replaced by the other's save
  EXPECT_EQ(CartLines(LogInAgain()), (Lines{{y, 1}}));

  EXPECT_EQ(http_->Post("/v1/cart/save", json::object{}, first).status, 204);
  EXPECT_EQ(CartLines(LogInAgain()), (Lines{{x, 1}}));
  // Logging one session out leaves the other alone.
  EXPECT_EQ(http_->Delete("/v1/sessions/current", first).status, 204);
  EXPECT_EQ(CartLines(second), (Lines{{y, 1}}));
}

TEST_P(BuyerApiTest, FeedbackOnBoughtItemsChangesItemAndSellerAtOnce) {
  std::string x = Register("X", 3, {"x"}, 12.5, 4);
  std::string y = Register("Y", 3, {"y"}, 3, 4);
  auto vote = [&](const std::string& id, const char* v) {
    return http_->Post("/v1/feedback", json::object{{"item_id", id}, {"vote", v}}, token_);
  };
  auto feedback = [&](const std::string& id) {
    return http_->Get("/v1/items/" + id, token_).json().at("feedback");
  };
  auto seller_rating = [&] {
    json::value on_buyer_side =
        http_->Get("/v1/sellers/" + std::to_string(seller_id_) + "/rating", token_).json();
    EXPECT_EQ(on_buyer_side, sellers_->Get("/v1/rating", seller_token_).json());
    return on_buyer_side;
  };
  ExpectRefused(vote(x, "up"), 403, "permission_denied");  // not bought yet

  RecordPurchase(x, 2, 1250);
  RecordPurchase(y, 1, 300);
  HttpResult up = vote(x, "up");
  EXPECT_EQ(up.status, 204) << up.body;
  EXPECT_TRUE(up.body.empty());
  EXPECT_EQ(feedback(x), json::parse(R"({"up":1,"down":0})"));
  EXPECT_EQ(seller_rating(), json::parse(R"({"up":1,"down":0})"));

  ExpectRefused(vote(x, "up"), 409, "already_rated");
  ExpectRefused(vote(x, "down"), 409, "already_rated");
  EXPECT_EQ(feedback(x), json::parse(R"({"up":1,"down":0})"));

  EXPECT_EQ(vote(y, "down").status, 204);
  EXPECT_EQ(feedback(y), json::parse(R"({"up":0,"down":1})"));
  EXPECT_EQ(seller_rating(), json::parse(R"({"up":1,"down":1})"));
}

TEST_P(BuyerApiTest, ListsPurchasesWithPriceAndTime) {
  EXPECT_EQ(http_->Get("/v1/purchases", token_).json(), json::parse(R"({"purchases":[]})"));
  std::string x = Register("X", 3, {"x"}, 12.5, 4);
  std::string y = Register("Y", 3, {"y"}, 3, 4);
  RecordPurchase(x, 2, 1250);
  stack_->clock().Advance(61'234);
  RecordPurchase(y, 1, 300);

  HttpResult r = http_->Get("/v1/purchases", token_);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value body = r.json();
  const json::array& purchases = body.at("purchases").as_array();
  ASSERT_EQ(purchases.size(), 2u) << r.body;
  // Newest first. FakeClock starts at 1'700'000'000'000 ms.
  const std::vector<std::tuple<std::string, int64_t, json::value, std::string>> expected = {
      {y, 1, 3, "2023-11-14T22:14:21.234Z"}, {x, 2, 12.5, "2023-11-14T22:13:20.000Z"}};
  const std::regex iso8601(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?(Z|[+-]\d\d:\d\d))");
  std::set<std::string> ids;
  for (size_t i = 0; i < purchases.size(); ++i) {
    const json::value& p = purchases[i];
    const auto& [item, quantity, price, time] = expected[i];
    EXPECT_EQ(p.at("item_id").as_string(), item);
    EXPECT_EQ(p.at("quantity").as_int64(), quantity);
    EXPECT_EQ(p.at("price"), price);
    std::string t(p.at("time").as_string());
    EXPECT_TRUE(std::regex_match(t, iso8601)) << t;
    EXPECT_EQ(t, time);
    ids.insert(std::string(p.at("purchase_id").as_string()));
  }
  EXPECT_EQ(ids.size(), 2u);
  // A page at a time.
  HttpResult page = http_->Get("/v1/purchases?limit=1&offset=1", token_);
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page.json().at("purchases").as_array().size(), 1u);
  EXPECT_EQ(page.json().at("purchases").at(0).at("item_id").as_string(), x);
  EXPECT_EQ(http_->Get("/v1/purchases?limit=501", token_).status, 400);
  // Another buyer sees none of them.
  TestHttpClient other(stack_->buyer_port());
  std::string other_token = other.SignUpAndLogIn("buyer2");
  EXPECT_EQ(other.Get("/v1/purchases", other_token).json(), json::parse(R"({"purchases":[]})"));
}

TEST_P(BuyerSessionTest, TimeoutDiscardsTheWorkingCartAndKeepsTheSavedOne) {
  std::string x = Register("X", 3, {"x"});
  std::string y = Register("Y", 3, {"y"});
  auto add = [&](const std::string& id) {
    return http_->Post("/v1/cart/items", json::object{{"item_id", id}, {"quantity", 1}}, token_)
        .status;
  };
  ASSERT_EQ(add(x), 200);
  ASSERT_EQ(http_->Post("/v1/cart/save", json::object{}, token_).status, 204);
  stack_->clock().Advance(50'000);
  ASSERT_EQ(add(y), 200);  // activity: the session lives on
  stack_->clock().Advance(50'000);
  EXPECT_EQ(CartLines(token_), (Lines{{x, 1}, {y, 1}}));
  // Past the timeout and its slack (a tenth of it, storage::SessionRules).
  stack_->clock().Advance(67'000);
  ExpectRefused(http_->Get("/v1/cart", token_), 401, "unauthenticated");
  ExpectRefused(http_->Post("/v1/cart/save", json::object{}, token_), 401, "unauthenticated");
  EXPECT_EQ(CartLines(LogInAgain()), (Lines{{x, 1}}));
}

INSTANTIATE_TEST_SUITE_P(Engines, BuyerSessionTest,
                         ::testing::Values(storage::Engine::kSqlite, storage::Engine::kPostgres),
                         [](const auto& info) { return storage::testing::EngineName(info.param); });

}  // namespace
}  // namespace mp::buyer_frontend
