// The seller API's routes on a whole stack, both engines: register,
// reprice, withdraw, list and page, sessions, accounts, health, and replicas
// that share no state. What the routes refuse is seller_validation_test.cc.
#include "seller_test_fixture.h"

namespace mp::seller_testing {
namespace {

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
  // Past the timeout and its slack: a tenth of it (session_repository.h).
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
}  // namespace mp::seller_testing
