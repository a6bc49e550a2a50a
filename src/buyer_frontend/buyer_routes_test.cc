#include <array>
#include <map>

#include "bad_tokens.h"
#include "buyer_frontend/buyer_test_fixture.h"
#include "http_expect.h"

namespace mp::buyer_frontend {
namespace {

using testing::ErrorRow;
using testing::ExpectRefused;
using testing::HttpResult;
using testing::TestHttpClient;
using testing::TestStack;

// Every buyer route refuses every kind of bad credentials with 401, a
// seller's token included, and changes nothing.
TEST_P(BuyerApiTest, EveryRouteRefusesBadCredentials) {
  std::string item = Register("Lamp", 3, {"red"});
  RecordPurchase(item, 1, 1250);
  ASSERT_EQ(http_->Post("/v1/cart/items", json::object{{"item_id", item}, {"quantity", 1}}, token_)
                .status,
            200);
  std::string ended = LogInAgain();
  ASSERT_EQ(http_->Delete("/v1/sessions/current", ended).status, 204);

  auto authorizations = testing::BadAuthorizations(token_);
  authorizations.emplace_back("seller token", "Bearer " + seller_token_);
  authorizations.emplace_back("ended session", "Bearer " + ended);
  const std::string add = json::serialize(json::object{{"item_id", item}, {"quantity", 1}});
  const std::string vote = json::serialize(json::object{{"item_id", item}, {"vote", "up"}});
  // An item that does not exist: still 401 first, so that a caller without a
  // session learns nothing, not even that the item is missing.
  const std::string unknown = "3-999999";
  const std::string add_unknown =
      json::serialize(json::object{{"item_id", unknown}, {"quantity", 1}});
  const std::string vote_unknown =
      json::serialize(json::object{{"item_id", unknown}, {"vote", "up"}});
  const std::vector<std::array<std::string, 3>> routes = {
      {"GET", "/v1/items/" + unknown, ""},
      {"POST", "/v1/cart/items", add_unknown},
      {"DELETE", "/v1/cart/items/" + unknown, ""},
      {"POST", "/v1/feedback", vote_unknown},
      {"GET", "/v1/items?category=3", ""},
      {"GET", "/v1/items/" + item, ""},
      {"POST", "/v1/cart/items", add},
      {"DELETE", "/v1/cart/items/" + item + "?quantity=1", ""},
      {"DELETE", "/v1/cart/items/" + item, ""},
      {"POST", "/v1/cart/save", ""},
      {"DELETE", "/v1/cart", ""},
      {"GET", "/v1/cart", ""},
      {"POST", "/v1/feedback", vote},
      {"GET", "/v1/sellers/" + std::to_string(seller_id_) + "/rating", ""},
      {"GET", "/v1/purchases", ""},
      {"POST", "/v1/purchases",
       json::serialize(json::object{
           {"name", "B"}, {"card_number", "4111111111111111"}, {"expiration", "12/99"}})},
      {"DELETE", "/v1/sessions/current", ""},
  };
  auto snapshot = [&] {
    return http_->Get("/v1/cart", token_).body + http_->Get("/v1/items/" + item, token_).body;
  };
  const std::string before = snapshot();
  for (const auto& [method, target, body] : routes) {
    for (const auto& [name, authorization] : authorizations) {
      SCOPED_TRACE(method + " " + target + " with " + name);
      std::map<std::string, std::string> headers;
      if (!authorization.empty()) headers["Authorization"] = authorization;
      ExpectRefused(http_->Send(method, target, body, headers), 401, "unauthenticated");
      EXPECT_EQ(snapshot(), before);
    }
  }
  // The saved cart did not change either: a new session starts empty.
  EXPECT_TRUE(CartLines(LogInAgain()).empty());
}

TEST_P(BuyerApiTest, RefusesBadRequestsWithTheSpecErrorAndChangesNothing) {
  std::string item = Register("Lamp", 3, {"red"}, 12.5, 4);
  std::string number = item.substr(item.find('-') + 1);
  std::string not_in_cart = Register("Mug", 3, {"mug"});
  std::string sold_out = Register("Vase", 3, {"vase"});
  ASSERT_EQ(sellers_->Delete("/v1/items/" + sold_out, seller_token_).status, 200);
  RecordPurchase(item, 1, 1250);
  ASSERT_EQ(http_->Post("/v1/cart/items", json::object{{"item_id", item}, {"quantity", 1}}, token_)
                .status,
            200);

  auto add = [](const std::string& id, json::value quantity) {
    return json::serialize(json::object{{"item_id", id}, {"quantity", std::move(quantity)}});
  };
  auto vote = [](const std::string& id, json::value v) {
    return json::serialize(json::object{{"item_id", id}, {"vote", std::move(v)}});
  };
  const std::string cart_item = "/v1/cart/items/" + item;
  const std::vector<ErrorRow> rows = {
      // SearchItemsForSale.
      {"GET", "/v1/items", "", 400, "invalid_argument", "category"},
      {"GET", "/v1/items?keywords=red", "", 400, "invalid_argument", "category"},
      {"GET", "/v1/items?category=", "", 400, "invalid_argument", "category"},
      {"GET", "/v1/items?category=x", "", 400, "invalid_argument", "category"},
      {"GET", "/v1/items?category=-1", "", 400, "invalid_argument", "category"},
      {"GET", "/v1/items?category=2147483648", "", 400, "invalid_argument", "category"},
      {"GET", "/v1/items?category=3&limit=501", "", 400, "invalid_argument", "limit"},
      {"GET", "/v1/items?category=3&limit=0", "", 400, "invalid_argument", "limit"},
      {"GET", "/v1/items?category=3&limit=ten", "", 400, "invalid_argument", "limit"},
      {"GET", "/v1/items?category=3&offset=-1", "", 400, "invalid_argument", "offset"},
      {"GET", "/v1/items?category=3&keywords=,a", "", 400, "invalid_argument", "keywords"},
      {"GET", "/v1/items?category=3&keywords=a,,b", "", 400, "invalid_argument", "keywords"},
      {"GET", "/v1/items?category=3&keywords=a,", "", 400, "invalid_argument", "keywords"},
      {"GET", "/v1/items?category=3&keywords=a,b,c,d,e,f", "", 400, "invalid_argument", "keywords"},
      {"GET", "/v1/items?category=3&keywords=ninechars", "", 400, "invalid_argument", "keywords"},
      {"GET", "/v1/items?category=3&keywords=%zz", "", 400, "invalid_argument"},
      // GetItem.
      {"GET", "/v1/items/abc", "", 400, "invalid_argument", "item_id"},
      {"GET", "/v1/items/3-999999", "", 404, "not_found"},
      {"GET", "/v1/items/9-" + number, "", 404, "not_found"},
      // AddItemToCart.
      {"POST", "/v1/cart/items", add(item, 0), 400, "invalid_argument", "quantity"},
      {"POST", "/v1/cart/items", add(item, -1), 400, "invalid_argument", "quantity"},
      {"POST", "/v1/cart/items", add(item, 1.5), 400, "invalid_argument", "quantity"},
      {"POST", "/v1/cart/items", add(item, "1"), 400, "invalid_argument", "quantity"},
      {"POST", "/v1/cart/items", add(item, nullptr), 400, "invalid_argument", "quantity"},
      {"POST", "/v1/cart/items", R"({"quantity":1})", 400, "invalid_argument", "item_id"},
      {"POST", "/v1/cart/items", R"({"item_id":5,"quantity":1})", 400, "invalid_argument",
       "item_id"},
      {"POST", "/v1/cart/items", add("abc", 1), 400, "invalid_argument", "item_id"},
      {"POST", "/v1/cart/items", add("3-999999", 1), 404, "not_found"},
      {"POST", "/v1/cart/items", add(item, 4), 409, "insufficient_quantity"},  // 1 + 4 > 4
      {"POST", "/v1/cart/items", add(sold_out, 1), 409, "insufficient_quantity"},
      {"POST", "/v1/cart/items", "{", 400, "invalid_argument", "body"},
      {"POST", "/v1/cart/items", "[]", 400, "invalid_argument", "body"},
      {"POST", "/v1/cart/items", "", 400, "invalid_argument", "body"},
      {"POST", "/v1/cart/items", R"({"item_id":")" + std::string((1 << 20) + 1, '1') + R"("})", 413,
       "payload_too_large"},
      // RemoveItemFromCart.
      {"DELETE", "/v1/cart/items/" + not_in_cart, "", 404, "not_found"},
      {"DELETE", "/v1/cart/items/3-999999", "", 404, "not_found"},
      {"DELETE", "/v1/cart/items/abc", "", 400, "invalid_argument", "item_id"},
      {"DELETE", cart_item + "?quantity=0", "", 400, "invalid_argument", "quantity"},
      {"DELETE", cart_item + "?quantity=-2", "", 400, "invalid_argument", "quantity"},
      {"DELETE", cart_item + "?quantity=x", "", 400, "invalid_argument", "quantity"},
      // ProvideFeedback.
      {"POST", "/v1/feedback", vote(not_in_cart, "up"), 403, "permission_denied"},
      {"POST", "/v1/feedback", vote("3-999999", "up"), 404, "not_found"},
      {"POST", "/v1/feedback", vote("abc", "up"), 400, "invalid_argument", "item_id"},
      {"POST", "/v1/feedback", vote(item, "maybe"), 400, "invalid_argument", "vote"},
      {"POST", "/v1/feedback", vote(item, "UP"), 400, "invalid_argument", "vote"},
      {"POST", "/v1/feedback", vote(item, 1), 400, "invalid_argument", "vote"},
      {"POST", "/v1/feedback", R"({"vote":"up"})", 400, "invalid_argument", "item_id"},
      {"POST", "/v1/feedback", "up", 400, "invalid_argument", "body"},
      // GetSellerRating.
      {"GET", "/v1/sellers/999999/rating", "", 404, "not_found"},
      {"GET", "/v1/sellers/abc/rating", "", 400, "invalid_argument", "seller_id"},
      {"GET", "/v1/sellers/0/rating", "", 400, "invalid_argument", "seller_id"},
      {"GET", "/v1/sellers/-1/rating", "", 400, "invalid_argument", "seller_id"},
      {"GET", "/v1/sellers/1x/rating", "", 400, "invalid_argument", "seller_id"},
      {"GET", "/v1/sellers/99999999999999999999/rating", "", 400, "invalid_argument", "seller_id"},
      // Routing.
      {"GET", "/v1/nope", "", 404, "not_found"},
      {"GET", "/v1/sellers/1", "", 404, "not_found"},
      {"PUT", "/v1/cart", "", 405, "method_not_allowed", "", "GET DELETE"},
      {"GET", "/v1/cart/save", "", 405, "method_not_allowed", "", "POST"},
      {"GET", "/v1/feedback", "", 405, "method_not_allowed", "", "POST"},
      {"PATCH", "/v1/items/" + item, "{}", 405, "method_not_allowed", "", "GET"},
      {"POST", "/v1/sellers/1/rating", "{}", 405, "method_not_allowed", "", "GET"},
  };
  auto snapshot = [&] {
    return http_->Get("/v1/cart", token_).body + http_->Get("/v1/items/" + item, token_).body +
           http_->Get("/v1/items?category=3", token_).body;
  };
  const std::string before = snapshot();
  for (const ErrorRow& row : rows) {
    SCOPED_TRACE(std::string(row.method) + " " + row.target.substr(0, 60) + " " +
                 row.body.substr(0, 60));
    ExpectRefused(*http_, row, token_);
    EXPECT_EQ(snapshot(), before);
  }
}

TEST_P(BuyerApiTest, GetsAnItemAndASellerRating) {
  std::string id = Register("Lamp", 3, {"red", "lamp"}, 1234567.89, 2);
  HttpResult item = http_->Get("/v1/items/" + id, token_);
  ASSERT_EQ(item.status, 200) << item.body;
  json::value expected = json::parse(R"({"id":")" + id + R"(","name":"Lamp","category":3,)" +
                                     R"("condition":"new","price":1234567.89,"quantity":2,)" +
                                     R"("feedback":{"up":0,"down":0}})");
  json::object got = item.json().as_object();
  EXPECT_EQ(got.at("seller_id").as_int64(), seller_id_);
  EXPECT_EQ(got.at("keywords").as_array().size(), 2u);
  got.erase("seller_id");
  got.erase("keywords");
  EXPECT_EQ(json::value(got), expected) << item.body;
  EXPECT_NE(item.body.find("\"price\":1234567.89"), std::string::npos) << item.body;

  HttpResult rating = http_->Get("/v1/sellers/" + std::to_string(seller_id_) + "/rating", token_);
  ASSERT_EQ(rating.status, 200) << rating.body;
  EXPECT_EQ(rating.json(), (json::object{{"up", 0}, {"down", 0}}));
}

// Search: case-insensitive exact keyword match; score desc, then up - down
// desc, then id; only quantity > 0; only the category asked.
TEST_P(BuyerApiTest, SearchRanksByScoreThenFeedbackThenId) {
  std::string a = Register("A", 5, {"Red", "SHOE"});
  std::string b = Register("B", 5, {"red", "shoe", "big"});
  std::string c = Register("C", 5, {"shoe"});
  std::string d = Register("D", 5, {"red"});
  std::string e = Register("E", 5, {"reds"});  // no exact match
  std::string f = Register("F", 5, {});
  Register("Other", 6, {"red", "shoe"});
  std::string gone = Register("Gone", 5, {"red", "shoe"});
  ASSERT_EQ(sellers_->Delete("/v1/items/" + gone, seller_token_).status, 200);

  auto search = [&](const std::string& query) {
    std::vector<std::pair<std::string, int64_t>> found;  // id, score
    HttpResult r = http_->Get("/v1/items?" + query, token_);
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return found;
    json::value body = r.json();
    for (const json::value& item : body.at("items").as_array()) {
      EXPECT_EQ(item.at("category").as_int64(), 5);
      EXPECT_GT(item.at("quantity").as_int64(), 0);
      found.emplace_back(std::string(item.at("id").as_string()), item.at("score").as_int64());
    }
    return found;
  };
  using Found = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(search("category=5&keywords=RED,Shoe"), (Found{{a, 2}, {b, 2}, {c, 1}, {d, 1}}));
  EXPECT_EQ(search("category=5&keywords=re"), Found{});
  EXPECT_EQ(search("category=5"), (Found{{a, 0}, {b, 0}, {c, 0}, {d, 0}, {e, 0}, {f, 0}}));
  EXPECT_EQ(search("category=7&keywords=red"), Found{});

  // B is voted up, C down: among equal scores, feedback decides.
  RecordPurchase(b, 1, 1250);
  RecordPurchase(c, 1, 1250);
  EXPECT_EQ(
      http_->Post("/v1/feedback", json::object{{"item_id", b}, {"vote", "up"}}, token_).status,
      204);
  EXPECT_EQ(
      http_->Post("/v1/feedback", json::object{{"item_id", c}, {"vote", "down"}}, token_).status,
      204);
  EXPECT_EQ(search("category=5&keywords=shoe,red"), (Found{{b, 2}, {a, 2}, {d, 1}, {c, 1}}));
  EXPECT_EQ(search("category=5&keywords=shoe,red&limit=2&offset=1"), (Found{{a, 2}, {d, 1}}));
  EXPECT_EQ(search("category=5&keywords=shoe,red&offset=4"), Found{});
  EXPECT_EQ(search("category=5&limit=500"),
            (Found{{b, 0}, {a, 0}, {d, 0}, {e, 0}, {f, 0}, {c, 0}}));
  EXPECT_EQ(search("category=5&keywords=BIG"), (Found{{b, 1}}));

  // Sold out: no longer found; back in stock (registered again): found again.
  ASSERT_EQ(sellers_->Delete("/v1/items/" + b, seller_token_).status, 200);
  EXPECT_EQ(search("category=5&keywords=big"), Found{});
  EXPECT_EQ(Register("B", 5, {"big", "red", "shoe"}), b);
  EXPECT_EQ(search("category=5&keywords=big"), (Found{{b, 1}}));
}

// A buyer server restarted between two calls of a session, or another
// replica, serves the same session, working cart and saved cart.
TEST_P(BuyerApiTest, ServersAreStateless) {
  std::string x = Register("X", 3, {"x"});
  std::string y = Register("Y", 3, {"y"});
  ASSERT_EQ(
      http_->Post("/v1/cart/items", json::object{{"item_id", x}, {"quantity", 2}}, token_).status,
      200);
  ASSERT_EQ(http_->Post("/v1/cart/save", json::object{}, token_).status, 204);
  ASSERT_EQ(
      http_->Post("/v1/cart/items", json::object{{"item_id", y}, {"quantity", 1}}, token_).status,
      200);
  const std::string cart = http_->Get("/v1/cart", token_).body;

  ASSERT_TRUE(stack_->RestartServer(TestStack::Side::kBuyer).ok());
  http_ = std::make_unique<TestHttpClient>(stack_->buyer_port());
  EXPECT_EQ(http_->Get("/v1/cart", token_).body, cart);

  auto replica_port = stack_->AddReplica(TestStack::Side::kBuyer);
  ASSERT_TRUE(replica_port.ok()) << replica_port.status().ToString();
  TestHttpClient replica(*replica_port);
  EXPECT_EQ(replica.Get("/v1/cart", token_).body, cart);
  EXPECT_EQ(replica.Delete("/v1/cart/items/" + y, token_).status, 200);
  EXPECT_EQ(CartLines(token_), (std::map<std::string, int64_t>{{x, 2}}));

  // Logout on one replica ends the session on all; the saved cart stays.
  EXPECT_EQ(replica.Delete("/v1/sessions/current", token_).status, 204);
  ExpectRefused(http_->Get("/v1/cart", token_), 401, "unauthenticated");
  EXPECT_EQ(CartLines(LogInAgain()), (std::map<std::string, int64_t>{{x, 2}}));
}

INSTANTIATE_TEST_SUITE_P(Engines, BuyerApiTest,
                         ::testing::Values(storage::Engine::kSqlite, storage::Engine::kPostgres),
                         [](const auto& info) { return storage::testing::EngineName(info.param); });

}  // namespace
}  // namespace mp::buyer_frontend
