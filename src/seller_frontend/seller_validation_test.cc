// What the seller API refuses, and the limits it accepts: bad credentials
// on every route, every malformed request of docs/contract.md's error table,
// bodies that are not JSON, login throttling, each field at its limits. Each
// refusal changes nothing.
#include "seller_test_fixture.h"

namespace mp::seller_testing {
namespace {

class SellerValidationTest : public SellerApiTest {};

// Every seller route refuses every kind of bad credentials with 401 and
// changes nothing.
TEST_P(SellerValidationTest, EveryRouteRefusesBadCredentials) {
  std::string item = Register(Lamp());
  TestHttpClient buyers(stack_->buyer_port());
  std::string buyer_token = buyers.SignUpAndLogIn("buyer1");
  std::string ended = http_->SignUpAndLogIn("seller1");
  ASSERT_EQ(http_->Delete("/v1/sessions/current", ended).status, 204);

  auto authorizations = testing::BadAuthorizations(token_);
  authorizations.emplace_back("buyer token", "Bearer " + buyer_token);
  authorizations.emplace_back("ended session", "Bearer " + ended);
  struct Route {
    const char* method;
    std::string target;
    std::string body;
  };
  const std::vector<Route> routes = {
      {"GET", "/v1/rating", ""},
      {"POST", "/v1/items", json::serialize(Lamp())},
      {"PATCH", "/v1/items/" + item, R"({"price":1})"},
      {"DELETE", "/v1/items/" + item + "?quantity=1", ""},
      {"DELETE", "/v1/items/" + item, ""},
      {"GET", "/v1/items", ""},
      {"DELETE", "/v1/sessions/current", ""},
  };
  const std::string before = http_->Get("/v1/items", token_).body;
  for (const Route& route : routes) {
    for (const auto& [name, authorization] : authorizations) {
      SCOPED_TRACE(std::string(route.method) + " " + route.target + " with " + name);
      std::map<std::string, std::string> headers;
      if (!authorization.empty()) headers["Authorization"] = authorization;
      ExpectRefused(http_->Send(route.method, route.target, route.body, headers), 401,
                    "unauthenticated");
      // The live session the bad tokens name still works, and nothing moved.
      EXPECT_EQ(http_->Get("/v1/items", token_).body, before);
    }
  }
}

TEST_P(SellerValidationTest, RefusesBadRequestsWithTheSpecErrorAndChangesNothing) {
  std::string item = Register(Lamp());
  std::string number = item.substr(item.find('-') + 1);
  TestHttpClient other_http(stack_->seller_port());
  std::string other_token = other_http.SignUpAndLogIn("seller2");
  HttpResult other_item = other_http.Post("/v1/items", Lamp(), other_token);
  ASSERT_EQ(other_item.status, 201);
  std::string other(other_item.json().at("item_id").as_string());

  const std::string mine = "/v1/items/" + item;
  const std::vector<ErrorRow> rows = {
      // RegisterItemForSale: missing, out of range and mistyped fields.
      {"POST", "/v1/items", Without("name"), 400, "invalid_argument", "name"},
      {"POST", "/v1/items", With("name", ""), 400, "invalid_argument", "name"},
      {"POST", "/v1/items", With("name", json::string(33, 'n')), 400, "invalid_argument", "name"},
      {"POST", "/v1/items", With("name", 5), 400, "invalid_argument", "name"},
      {"POST", "/v1/items", With("name", "a\tb"), 400, "invalid_argument", "name"},
      {"POST", "/v1/items", With("name", "   "), 400, "invalid_argument", "name"},
      {"POST", "/v1/items", With("name", Repeat("\u00e9", 33)), 400, "invalid_argument", "name"},
      {"POST", "/v1/items", Without("category"), 400, "invalid_argument", "category"},
      {"POST", "/v1/items", With("category", -1), 400, "invalid_argument", "category"},
      {"POST", "/v1/items", With("category", "3"), 400, "invalid_argument", "category"},
      {"POST", "/v1/items", With("category", 2147483648), 400, "invalid_argument", "category"},
      {"POST", "/v1/items", With("category", 1.5), 400, "invalid_argument", "category"},
      {"POST", "/v1/items", With("keywords", json::array{"a", "b", "c", "d", "e", "f"}), 400,
       "invalid_argument", "keywords"},
      {"POST", "/v1/items", With("keywords", json::array{"ninechars"}), 400, "invalid_argument",
       "keywords"},
      {"POST", "/v1/items", With("keywords", json::array{"red", "RED"}), 400, "invalid_argument",
       "keywords"},
      {"POST", "/v1/items", With("keywords", json::array{""}), 400, "invalid_argument", "keywords"},
      {"POST", "/v1/items", With("keywords", "red"), 400, "invalid_argument", "keywords"},
      {"POST", "/v1/items", With("keywords", json::array{1}), 400, "invalid_argument", "keywords"},
      {"POST", "/v1/items", With("condition", "broken"), 400, "invalid_argument", "condition"},
      {"POST", "/v1/items", Without("condition"), 400, "invalid_argument", "condition"},
      {"POST", "/v1/items", With("price", 0), 400, "invalid_argument", "price"},
      {"POST", "/v1/items", With("price", -1), 400, "invalid_argument", "price"},
      {"POST", "/v1/items", With("price", 1.234), 400, "invalid_argument", "price"},
      {"POST", "/v1/items", With("price", "12"), 400, "invalid_argument", "price"},
      {"POST", "/v1/items", With("price", 1000000000.01), 400, "invalid_argument", "price"},
      {"POST", "/v1/items", With("price", nullptr), 400, "invalid_argument", "price"},
      {"POST", "/v1/items", Without("price"), 400, "invalid_argument", "price"},
      {"POST", "/v1/items", With("quantity", 0), 400, "invalid_argument", "quantity"},
      {"POST", "/v1/items", With("quantity", -1), 400, "invalid_argument", "quantity"},
      {"POST", "/v1/items", With("quantity", 1.5), 400, "invalid_argument", "quantity"},
      {"POST", "/v1/items", With("quantity", "2"), 400, "invalid_argument", "quantity"},
      {"POST", "/v1/items", Without("quantity"), 400, "invalid_argument", "quantity"},
      // Bodies that are not a JSON object.
      {"POST", "/v1/items", "", 400, "invalid_argument", "body"},
      {"POST", "/v1/items", R"({"name":"Lamp",)", 400, "invalid_argument", "body"},
      {"POST", "/v1/items", "[]", 400, "invalid_argument", "body"},
      {"POST", "/v1/items", "42", 400, "invalid_argument", "body"},
      {"POST", "/v1/items", "null", 400, "invalid_argument", "body"},
      {"POST", "/v1/items", std::string(40, '[') + std::string(40, ']'), 400, "invalid_argument",
       "body"},
      {"POST", "/v1/items", BodyOfSize(1 << 20), 400, "invalid_argument",
       "name"},  // at the limit: read, then refused for the name
      {"POST", "/v1/items", BodyOfSize((1 << 20) + 1), 413, "payload_too_large"},
      {"POST", "/v1/items", BodyOfSize(8 << 20), 413, "payload_too_large"},
      // ChangeItemPrice.
      {"PATCH", mine, "{}", 400, "invalid_argument", "price"},
      {"PATCH", mine, R"({"price":"12"})", 400, "invalid_argument", "price"},
      {"PATCH", mine, R"({"price":0})", 400, "invalid_argument", "price"},
      {"PATCH", mine, R"({"price":1.234})", 400, "invalid_argument", "price"},
      {"PATCH", mine, R"({"price":1000000000.01})", 400, "invalid_argument", "price"},
      {"PATCH", mine, R"({"price":)", 400, "invalid_argument", "body"},
      {"PATCH", mine, R"(["price",1])", 400, "invalid_argument", "body"},
      {"PATCH", "/v1/items/" + other, R"({"price":1})", 403, "permission_denied"},
      {"PATCH", "/v1/items/3-999999", R"({"price":1})", 404, "not_found"},
      {"PATCH", "/v1/items/9-" + number, R"({"price":1})", 404, "not_found"},
      {"PATCH", "/v1/items/abc", R"({"price":1})", 400, "invalid_argument", "item_id"},
      {"PATCH", "/v1/items/3-", R"({"price":1})", 400, "invalid_argument", "item_id"},
      {"PATCH", "/v1/items/03-" + number, R"({"price":1})", 400, "invalid_argument", "item_id"},
      // UpdateUnitsForSale.
      {"DELETE", "/v1/items/" + other, "", 403, "permission_denied"},
      {"DELETE", "/v1/items/" + other + "?quantity=1", "", 403, "permission_denied"},
      {"DELETE", "/v1/items/3-999999", "", 404, "not_found"},
      {"DELETE", "/v1/items/3-x1", "", 400, "invalid_argument", "item_id"},
      {"DELETE", mine + "?quantity=5", "", 409, "insufficient_quantity"},
      {"DELETE", mine + "?quantity=0", "", 400, "invalid_argument", "quantity"},
      {"DELETE", mine + "?quantity=-1", "", 400, "invalid_argument", "quantity"},
      {"DELETE", mine + "?quantity=1.5", "", 400, "invalid_argument", "quantity"},
      {"DELETE", mine + "?quantity=two", "", 400, "invalid_argument", "quantity"},
      {"DELETE", mine + "?quantity=", "", 400, "invalid_argument", "quantity"},
      // DisplayItemsForSale pages.
      {"GET", "/v1/items?limit=0", "", 400, "invalid_argument", "limit"},
      {"GET", "/v1/items?limit=501", "", 400, "invalid_argument", "limit"},
      {"GET", "/v1/items?limit=x", "", 400, "invalid_argument", "limit"},
      {"GET", "/v1/items?offset=-1", "", 400, "invalid_argument", "offset"},
      {"GET", "/v1/items?offset=1.5", "", 400, "invalid_argument", "offset"},
      // Routing.
      {"GET", "/v1/nope", "", 404, "not_found"},
      {"GET", "/v1/items/", "", 404, "not_found"},
      {"GET", "/v1/items/x/y", "", 404, "not_found"},
      {"PUT", "/v1/items", "", 405, "method_not_allowed", "", "GET POST"},
      {"GET", mine, "", 405, "method_not_allowed", "", "PATCH DELETE"},
      {"POST", "/v1/rating", "{}", 405, "method_not_allowed", "", "GET"},
      {"GET", "/v1/sessions/current", "", 405, "method_not_allowed", "", "DELETE"},
      {"DELETE", "/v1/accounts", "", 405, "method_not_allowed", "", "POST"},
  };
  auto snapshot = [&] {
    return http_->Get("/v1/items", token_).body + other_http.Get("/v1/items", other_token).body +
           http_->Get("/v1/rating", token_).body;
  };
  const std::string before = snapshot();
  for (const ErrorRow& row : rows) {
    SCOPED_TRACE(std::string(row.method) + " " + row.target.substr(0, 60) + " " +
                 row.body.substr(0, 80));
    ExpectRefused(*http_, row, token_);
    EXPECT_EQ(snapshot(), before);
  }
}

// A plain HTML form on any web page can post text/plain or form-urlencoded
// across origins without a preflight; such bodies must not act as JSON.
TEST_P(SellerValidationTest, RefusesBodiesThatAreNotJsonAndDoesNothing) {
  const int port = stack_->seller_port();
  const std::string account = json::serialize(
      json::object{{"username", "formuser"}, {"password", "password1"}, {"name", "Form"}});
  const std::string login =
      json::serialize(json::object{{"username", "seller1"}, {"password", "wrong-password"}});
  const std::vector<std::optional<std::string>> refused = {"text/plain",
                                                           "text/plain; charset=utf-8",
                                                           "application/x-www-form-urlencoded",
                                                           "multipart/form-data; boundary=x",
                                                           std::nullopt,
                                                           "",
                                                           "application/jsonx",
                                                           "text/json",
                                                           "application/json-patch+json"};
  for (const auto& type : refused) {
    SCOPED_TRACE(type.value_or("(no Content-Type)"));
    ExpectRefused(SendAs(port, "POST", "/v1/accounts", type, account), 415,
                  "unsupported_media_type");
    // Not even counted as a failed login.
    ExpectRefused(SendAs(port, "POST", "/v1/sessions", type, login), 415, "unsupported_media_type");
  }
  // Nothing was created: the name is still free, for a JSON body with
  // parameters and in any case.
  EXPECT_EQ(SendAs(port, "POST", "/v1/accounts", "application/json; charset=utf-8", account).status,
            201);
  EXPECT_EQ(
      SendAs(port, "POST", "/v1/sessions", "Application/JSON",
             json::serialize(json::object{{"username", "formuser"}, {"password", "password1"}}))
          .status,
      201);
  // Nine wrong-password attempts above were refused before the customer DB:
  // the budget of 5 failures is untouched.
  EXPECT_EQ(
      http_->Post("/v1/sessions", json::object{{"username", "seller1"}, {"password", "password1"}})
          .status,
      201);
  // Requests without a body are unaffected.
  EXPECT_EQ(SendAs(port, "GET", "/v1/items", "text/plain", "").status, 401);
  EXPECT_EQ(SendAs(port, "GET", "/healthz", std::nullopt, "").status, 200);
}

TEST_P(SellerValidationTest, ThrottledLoginsSayTheRemainingWindow) {
  const json::object wrong{{"username", "seller1"}, {"password", "wrong-password"}};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(http_->Post("/v1/sessions", wrong).status, 401) << i;
  }
  HttpResult r = http_->Post("/v1/sessions", wrong);
  ExpectRefused(r, 429, "too_many_requests");
  EXPECT_EQ(r.headers["Retry-After"], "60");
  stack_->clock().Advance(15'000);
  r = http_->Post("/v1/sessions", json::object{{"username", "seller1"}, {"password", "password1"}});
  ExpectRefused(r, 429, "too_many_requests");
  EXPECT_EQ(r.headers["Retry-After"], "45");
}

TEST_P(SellerValidationTest, AcceptsTheLimitsOfEveryField) {
  struct Row {
    json::object item;
    const char* price;  // as it comes back
  };
  auto item = [](const char* name, int64_t category, json::array keywords, const char* condition,
                 json::value price, int64_t quantity) {
    return json::object{{"name", name},           {"category", category}, {"keywords", keywords},
                        {"condition", condition}, {"price", price},       {"quantity", quantity}};
  };
  const json::string name32 = Repeat("\u00e9", 32);  // characters, not bytes
  const std::vector<Row> rows = {
      {item(name32.c_str(), 0, {}, "used", 0.01, 1), "0.01"},
      {item("A", 2147483647, {"a", "b", "c", "d", "eightchr"}, "new", 1000000000, 1000000000),
       "1000000000"},
      {item("Mug", 7, {"Mug"}, "new", 12, 1), "12"},
      {item("Mug", 7, {"Mug"}, "new", 12.1, 1), "12.1"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(json::serialize(row.item));
    std::string id = Register(row.item);
    EXPECT_EQ(id.rfind(std::to_string(row.item.at("category").as_int64()) + "-", 0), 0u) << id;
  }
  HttpResult list = http_->Get("/v1/items", token_);
  ASSERT_EQ(list.status, 200);
  const json::value listed = list.json();
  const json::array& items = listed.at("items").as_array();
  ASSERT_EQ(items.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_NE(list.body.find(std::string("\"price\":") + rows[i].price + ","), std::string::npos)
        << rows[i].price;
    EXPECT_EQ(items[i].at("name"), rows[i].item.at("name"));
    EXPECT_EQ(items[i].at("quantity"), rows[i].item.at("quantity"));
    EXPECT_EQ(items[i].at("seller_id").as_int64(), seller_id_);
    EXPECT_EQ(items[i].at("feedback"), (json::object{{"up", 0}, {"down", 0}}));
  }
  EXPECT_EQ(items[1].at("keywords").as_array().size(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Engines, SellerValidationTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& info) { return storage::testing::EngineName(info.param); });

}  // namespace
}  // namespace mp::seller_testing
