#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "bad_tokens.h"
#include "http_expect.h"
#include "storage/test_database.h"
#include "test_stack.h"

namespace mp {
namespace {

namespace json = boost::json;
using storage::Engine;
using testing::ErrorRow;
using testing::ExpectRefused;
using testing::HttpResult;
using testing::TestHttpClient;
using testing::TestStack;

json::object Lamp() {
  return {{"name", "Lamp"},     {"category", 3}, {"keywords", json::array{"Red", "lamp"}},
          {"condition", "new"}, {"price", 12.5}, {"quantity", 4}};
}

std::string With(const char* field, json::value value) {
  json::object o = Lamp();
  o[field] = std::move(value);
  return json::serialize(o);
}

json::string Repeat(const char* text, int times) {
  json::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

// A register body of exactly `size` bytes (its name made long enough).
std::string BodyOfSize(size_t size) {
  const size_t base = With("name", "").size();
  return With("name", json::string(size - base, 'x'));
}

std::string Without(const char* field) {
  json::object o = Lamp();
  o.erase(field);
  return json::serialize(o);
}

// One request with exactly the Content-Type given (none when nullopt): the
// shared test client always sends application/json.
HttpResult SendAs(int port, const std::string& method, const std::string& target,
                  std::optional<std::string> content_type, const std::string& body) {
  namespace beast = boost::beast;
  namespace bhttp = beast::http;
  using tcp = boost::asio::ip::tcp;
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(
      tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
  req.set(bhttp::field::host, "127.0.0.1");
  if (content_type) req.set(bhttp::field::content_type, *content_type);
  req.body() = body;
  req.prepare_payload();
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  HttpResult result;
  result.status = static_cast<int>(res.result_int());
  result.body = res.body();
  for (const auto& field : res) {
    result.headers[std::string(field.name_string())] = std::string(field.value());
  }
  return result;
}

class SellerApiTest : public ::testing::TestWithParam<Engine> {
 protected:
  virtual TestStack::Options StackOptions() const { return {.engine = GetParam()}; }

  void SetUp() override {
    auto stack = TestStack::Start(StackOptions());
    ASSERT_TRUE(stack.ok()) << stack.status().ToString();
    stack_ = std::move(stack).value();
    http_ = std::make_unique<TestHttpClient>(stack_->seller_port());
    token_ = http_->SignUpAndLogIn("seller1", "password1", &seller_id_);
    ASSERT_FALSE(token_.empty());
  }

  // Registers `item` as seller1 and returns its id.
  std::string Register(const json::object& item) {
    HttpResult r = http_->Post("/v1/items", item, token_);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? std::string(r.json().at("item_id").as_string()) : "";
  }

  std::unique_ptr<TestStack> stack_;
  std::unique_ptr<TestHttpClient> http_;
  std::string token_;
  int64_t seller_id_ = 0;
};

TEST_P(SellerApiTest, RegistersRepricesWithdrawsAndLists) {
  json::object lamp{{"name", "Lamp"},     {"category", 3}, {"keywords", json::array{"Red", "lamp"}},
                    {"condition", "new"}, {"price", 12.5}, {"quantity", 4}};
  HttpResult created = http_->Post("/v1/items", lamp, token_);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id(created.json().at("item_id").as_string());
  EXPECT_EQ(id.rfind("3-", 0), 0u);

  HttpResult merged = http_->Post("/v1/items", lamp, token_);
  ASSERT_EQ(merged.status, 201);
  EXPECT_EQ(merged.json().at("item_id").as_string(), id);
  EXPECT_EQ(merged.json().at("quantity").as_int64(), 8);

  HttpResult repriced =
      http_->Patch("/v1/items/" + id, json::object{{"price", 1234567.89}}, token_);
  ASSERT_EQ(repriced.status, 200) << repriced.body;
  EXPECT_NE(repriced.body.find("\"price\":1234567.89"), std::string::npos) << repriced.body;

  EXPECT_EQ(http_->Delete("/v1/items/" + id + "?quantity=9", token_).error_code(),
            "insufficient_quantity");
  HttpResult withdrawn = http_->Delete("/v1/items/" + id + "?quantity=3", token_);
  ASSERT_EQ(withdrawn.status, 200);
  EXPECT_EQ(withdrawn.json().at("quantity").as_int64(), 5);

  HttpResult list = http_->Get("/v1/items", token_);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json().at("items").as_array().size(), 1u);
  EXPECT_EQ(list.json().at("items").at(0).at("quantity").as_int64(), 5);
}

// A seller's list is paged like search: by id, 50 by default, at most 500.
TEST_P(SellerApiTest, DisplaysItemsForSaleInPages) {
  std::vector<std::string> ids;
  for (int i = 0; i < 55; ++i) {
    json::object item{{"name", "Item " + std::to_string(i)},
                      {"category", 55 - i},
                      {"condition", "new"},
                      {"price", 1},
                      {"quantity", 1}};
    ids.push_back(Register(item));
  }
  auto page = [&](const std::string& target) {
    std::vector<std::string> got;
    HttpResult r = http_->Get(target, token_);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    if (r.status != 200) return got;
    json::value body = r.json();
    for (const json::value& item : body.at("items").as_array()) {
      got.emplace_back(item.at("id").as_string());
    }
    return got;
  };
  auto slice = [&](size_t from, size_t n) {
    return std::vector<std::string>(ids.begin() + from,
                                    ids.begin() + std::min(ids.size(), from + n));
  };
  EXPECT_EQ(page("/v1/items"), slice(0, 50)) << "the default page";
  EXPECT_EQ(page("/v1/items?offset=50"), slice(50, 50));
  EXPECT_EQ(page("/v1/items?limit=500"), ids);
  EXPECT_EQ(page("/v1/items?limit=10&offset=20"), slice(20, 10));
  EXPECT_EQ(page("/v1/items?limit=1&offset=54"), slice(54, 1));
  EXPECT_TRUE(page("/v1/items?offset=55").empty()) << "past the end";
  EXPECT_TRUE(page("/v1/items?limit=5&offset=2147483647").empty());
}

TEST_P(SellerApiTest, LogoutEndsTheSessionAtOnce) {
  EXPECT_EQ(http_->Get("/v1/rating", token_).status, 200);
  EXPECT_EQ(http_->Delete("/v1/sessions/current", token_).status, 204);
  HttpResult after = http_->Get("/v1/rating", token_);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(after.error_code(), "unauthenticated");
}

// Session checks of concurrent requests travel to the customer DB in
// batches: each request must still get its own session's answer.
TEST_P(SellerApiTest, ConcurrentRequestsAreJudgedByTheirOwnSessions) {
  constexpr int kClients = 32;
  constexpr int kRequests = 40;
  std::vector<std::string> tokens(kClients);
  std::vector<int64_t> ids(kClients);
  for (int i = 0; i < kClients; ++i) {
    std::string name = "batch";
    name += std::to_string(i);
    tokens[i] = http_->SignUpAndLogIn(name, "password1", &ids[i]);
    ASSERT_FALSE(tokens[i].empty());
  }
  // Odd clients have logged out: every one of their requests is refused.
  for (int i = 1; i < kClients; i += 2) {
    ASSERT_EQ(http_->Delete("/v1/sessions/current", tokens[i]).status, 204);
  }
  std::vector<std::map<int, int>> statuses(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      TestHttpClient client(stack_->seller_port());
      for (int n = 0; n < kRequests; ++n) {
        ++statuses[i][client.Get(n % 2 ? "/v1/rating" : "/v1/items", tokens[i]).status];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) {
    int expected = i % 2 ? 401 : 200;
    EXPECT_EQ(statuses[i], (std::map<int, int>{{expected, kRequests}})) << "client " << i;
  }
}

// Every seller route refuses every kind of bad credentials with 401 and
// changes nothing.
TEST_P(SellerApiTest, EveryRouteRefusesBadCredentials) {
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

TEST_P(SellerApiTest, RefusesBadRequestsWithTheSpecErrorAndChangesNothing) {
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
TEST_P(SellerApiTest, RefusesBodiesThatAreNotJsonAndDoesNothing) {
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

TEST_P(SellerApiTest, ThrottledLoginsSayTheRemainingWindow) {
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

TEST_P(SellerApiTest, AcceptsTheLimitsOfEveryField) {
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

TEST_P(SellerApiTest, RegisterTwiceMergesOnlyEqualItems) {
  std::string id = Register(Lamp());
  json::object same_words = Lamp();
  same_words["keywords"] = json::array{"LAMP", "red"};  // another order and case
  HttpResult merged = http_->Post("/v1/items", same_words, token_);
  ASSERT_EQ(merged.status, 201);
  EXPECT_EQ(merged.json().at("item_id").as_string(), id);
  EXPECT_EQ(merged.json().at("quantity").as_int64(), 8);
  for (const auto& [field, value] :
       std::vector<std::pair<const char*, json::value>>{{"price", 12.51},
                                                        {"condition", "used"},
                                                        {"name", "lamp"},
                                                        {"category", 4},
                                                        {"keywords", json::array{"red"}}}) {
    json::object different = Lamp();
    different[field] = value;
    EXPECT_NE(Register(different), id) << field;
  }
  EXPECT_EQ(http_->Get("/v1/items", token_).json().at("items").as_array().size(), 6u);
}

TEST_P(SellerApiTest, AccountsAndLogin) {
  auto account = [](const char* username, json::value password, const char* name) {
    return json::serialize(
        json::object{{"username", username}, {"password", password}, {"name", name}});
  };
  const std::vector<ErrorRow> rows = {
      {"POST", "/v1/accounts", account("seller1", "password2", "X"), 409, "username_taken"},
      {"POST", "/v1/accounts", account("new1", "passwd7", "X"), 400, "invalid_argument",
       "password"},
      {"POST", "/v1/accounts", account("new1", json::string(129, 'p'), "X"), 400,
       "invalid_argument", "password"},
      {"POST", "/v1/accounts", account("new1", 12345678, "X"), 400, "invalid_argument", "password"},
      {"POST", "/v1/accounts", account("", "password1", "X"), 400, "invalid_argument", "username"},
      {"POST", "/v1/accounts", account(std::string(33, 'u').c_str(), "password1", "X"), 400,
       "invalid_argument", "username"},
      {"POST", "/v1/accounts", account("new1", "password1", ""), 400, "invalid_argument", "name"},
      {"POST", "/v1/accounts", R"({"username":"new1","password":"password1"})", 400,
       "invalid_argument", "name"},
      {"POST", "/v1/accounts", "{", 400, "invalid_argument", "body"},
      {"POST", "/v1/sessions", R"({"username":"seller1","password":"password2"})", 401,
       "unauthenticated"},
      {"POST", "/v1/sessions", R"({"username":"nobody","password":"password1"})", 401,
       "unauthenticated"},
      {"POST", "/v1/sessions", R"({"username":"seller1"})", 400, "invalid_argument", "password"},
      {"POST", "/v1/sessions", "[]", 400, "invalid_argument", "body"},
  };
  for (const ErrorRow& row : rows) {
    SCOPED_TRACE(row.body);
    ExpectRefused(*http_, row, "");
  }
  // Nothing was created or overwritten.
  auto login = [&](const char* username, const char* password) {
    return http_->Post("/v1/sessions", json::object{{"username", username}, {"password", password}})
        .status;
  };
  EXPECT_EQ(login("seller1", "password1"), 201);
  EXPECT_EQ(login("seller1", "password2"), 401);
  EXPECT_EQ(login("new1", "password1"), 401);
  // Sellers and buyers are separate: the same username is free on the buyer
  // side.
  TestHttpClient buyers(stack_->buyer_port());
  EXPECT_EQ(
      buyers.Post("/v1/sessions", json::object{{"username", "seller1"}, {"password", "password1"}})
          .status,
      401);
  EXPECT_FALSE(buyers.SignUpAndLogIn("seller1").empty());
}

TEST_P(SellerApiTest, ServesHealthAndMetrics) {
  HttpResult health = http_->Get("/healthz");
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(http_->Get("/v1/rating", token_).status, 200);
  EXPECT_EQ(http_->Get("/v1/nope", token_).status, 404);
  HttpResult metrics = http_->Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers["Content-Type"].rfind("text/plain", 0), 0u);
  EXPECT_NE(metrics.body.find("# TYPE mp_http_requests_total counter"), std::string::npos);
  EXPECT_NE(metrics.body.find(R"(mp_http_requests_total{component="seller-server",)"
                              R"(route="GET /v1/rating",code="2xx"} 1)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(R"(route="unmatched",code="4xx"} 1)"), std::string::npos);
  EXPECT_NE(metrics.body.find(R"(mp_http_request_duration_seconds_count{component="seller-server",)"
                              R"(route="GET /v1/rating"} 1)"),
            std::string::npos);
}

// Two seller servers on the same DB services, and a restarted one, accept
// each other's tokens: the session lives in the customer DB only.
TEST_P(SellerApiTest, ServersAreStateless) {
  auto replica_port = stack_->AddReplica(TestStack::Side::kSeller);
  ASSERT_TRUE(replica_port.ok()) << replica_port.status().ToString();
  TestHttpClient replica(*replica_port);
  std::string id;
  {
    HttpResult r = replica.Post("/v1/items", Lamp(), token_);
    ASSERT_EQ(r.status, 201) << r.body;
    id = std::string(r.json().at("item_id").as_string());
  }
  EXPECT_EQ(http_->Get("/v1/items", token_).json().at("items").at(0).at("id").as_string(), id);

  ASSERT_TRUE(stack_->RestartServer(TestStack::Side::kSeller).ok());
  TestHttpClient restarted(stack_->seller_port());
  HttpResult repriced = restarted.Patch("/v1/items/" + id, json::object{{"price", 3}}, token_);
  EXPECT_EQ(repriced.status, 200) << repriced.body;

  // Logging out on one ends the session on the others at once.
  EXPECT_EQ(restarted.Delete("/v1/sessions/current", token_).status, 204);
  ExpectRefused(replica.Get("/v1/items", token_), 401, "unauthenticated");
}

// A short session timeout (60 s) on the fake clock.
class SellerSessionTest : public SellerApiTest {
 protected:
  TestStack::Options StackOptions() const override {
    return {.engine = GetParam(), .session_timeout_s = 60};
  }
};

TEST_P(SellerSessionTest, EndsAfterTheTimeoutWithoutRequests) {
  stack_->clock().Advance(30'000);
  EXPECT_EQ(http_->Get("/v1/items", token_).status, 200);  // counts as activity
  stack_->clock().Advance(59'000);  // 89 s after login, 59 s after the last request
  EXPECT_EQ(http_->Get("/v1/rating", token_).status, 200);
  // Past the timeout and its slack: a tenth of it (customer_repository.h).
  stack_->clock().Advance(67'000);
  ExpectRefused(http_->Get("/v1/items", token_), 401, "unauthenticated");
  ExpectRefused(http_->Delete("/v1/sessions/current", token_), 401, "unauthenticated");
  // A new login works.
  std::string again = http_->SignUpAndLogIn("seller1");
  EXPECT_EQ(http_->Get("/v1/items", again).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Engines, SellerApiTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& info) { return storage::testing::EngineName(info.param); });
INSTANTIATE_TEST_SUITE_P(Engines, SellerSessionTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& info) { return storage::testing::EngineName(info.param); });

}  // namespace
}  // namespace mp
