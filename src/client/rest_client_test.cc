#include "client/rest_client.h"

#include <gtest/gtest.h>

#include "client/test_http_server.h"

namespace json = boost::json;

namespace mp::client {
namespace {

using boost::beast::http::verb;
using testing::CannedReply;
using testing::RecordedRequest;
using testing::TestHttpServer;

struct ErrorCase {
  int http;
  const char* body;
  StatusCode code;
  const char* reason;
  const char* message;
};

class ErrorFromResponseTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ErrorFromResponseTest, MapsTheErrorBody) {
  const ErrorCase& c = GetParam();
  Status status = ErrorFromResponse(c.http, c.body);
  EXPECT_EQ(status.code(), c.code) << c.body;
  EXPECT_EQ(status.reason(), c.reason) << c.body;
  EXPECT_EQ(status.message(), c.message) << c.body;
}

#define MP_ERR(code, message) R"({"error":{"code":")" code R"(","message":")" message R"("}})"

INSTANTIATE_TEST_SUITE_P(
    Cases, ErrorFromResponseTest,
    ::testing::Values(
        ErrorCase{400, MP_ERR("invalid_argument", "price: must be > 0"),
                  StatusCode::kInvalidArgument, "invalid_argument", "price: must be > 0"},
        ErrorCase{400, MP_ERR("cart_empty", "nothing to buy"), StatusCode::kInvalidArgument,
                  "cart_empty", "nothing to buy"},
        ErrorCase{401, MP_ERR("unauthenticated", "session ended"), StatusCode::kUnauthenticated,
                  "unauthenticated", "session ended"},
        ErrorCase{402, MP_ERR("payment_declined", "card expired"), StatusCode::kFailedPrecondition,
                  "payment_declined", "card expired"},
        ErrorCase{403, MP_ERR("permission_denied", "not your item"), StatusCode::kPermissionDenied,
                  "permission_denied", "not your item"},
        ErrorCase{404, MP_ERR("not_found", "no item 3-9"), StatusCode::kNotFound, "not_found",
                  "no item 3-9"},
        ErrorCase{409, MP_ERR("insufficient_quantity", "item 3-7 has 2 units for sale"),
                  StatusCode::kAborted, "insufficient_quantity", "item 3-7 has 2 units for sale"},
        ErrorCase{409, MP_ERR("username_taken", "alice exists"), StatusCode::kAlreadyExists,
                  "username_taken", "alice exists"},
        ErrorCase{409, MP_ERR("already_rated", "voted before"), StatusCode::kAlreadyExists,
                  "already_rated", "voted before"},
        ErrorCase{413, "", StatusCode::kResourceExhausted, "resource_exhausted", "HTTP 413"},
        ErrorCase{503, MP_ERR("unavailable", "product db down"), StatusCode::kUnavailable,
                  "unavailable", "product db down"},
        ErrorCase{504, "", StatusCode::kDeadlineExceeded, "deadline_exceeded", "HTTP 504"},
        ErrorCase{500, "<html>\nboom</html>", StatusCode::kInternal, "internal",
                  "HTTP 500: <html> boom</html>"},
        // A code that is not a snake_case reason is ignored, not echoed.
        ErrorCase{404, R"({"error":{"code":"Not Found!","message":"gone"}})", StatusCode::kNotFound,
                  "not_found", "gone"}));

TEST(ErrorFromResponseTest, AddsRetryAfter) {
  Status status = ErrorFromResponse(429, MP_ERR("too_many_attempts", "slow down"), "30");
  EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(status.ToString(), "too_many_attempts: slow down (retry after 30s)");
}

TEST(QueryTest, EncodesValuesAndSkipsEmptyOnes) {
  EXPECT_EQ(PercentEncode("a b/ü"), "a%20b%2F%C3%BC");
  EXPECT_EQ(WithQuery("/v1/items", {{"category", "3"}, {"keywords", "red,x&y"}, {"limit", ""}}),
            "/v1/items?category=3&keywords=red,x%26y");
  EXPECT_EQ(WithQuery("/v1/items/3-7", {{"quantity", ""}}), "/v1/items/3-7");
}

TEST(IdempotencyKeyTest, IsFreshHex) {
  std::string a = NewIdempotencyKey(), b = NewIdempotencyKey();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(RestClientTest, SendsTokenAndJsonAndDecodesReplies) {
  TestHttpServer server([](const RecordedRequest& r) {
    if (r.target == "/v1/cart/save") return CannedReply{204, ""};
    if (r.target == "/v1/missing") return CannedReply{404, MP_ERR("not_found", "no such")};
    return CannedReply{201, R"({"item_id":"3-7","quantity":4})"};
  });
  HttpClientOptions options;
  options.servers = *ParseServerList(server.address());
  HttpClient http(options);
  RestClient rest(http);
  rest.set_token("tok");
  json::value body = {{"name", "Lamp"}};
  StatusOr<ApiResponse> created = rest.Call(verb::post, "/v1/items", &body, {});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->http_status, 201);
  EXPECT_EQ(created->json.at("item_id").as_string(), "3-7");
  StatusOr<ApiResponse> saved = rest.Call(verb::post, "/v1/cart/save", nullptr, {});
  ASSERT_TRUE(saved.ok());
  EXPECT_TRUE(saved->json.is_null());
  StatusOr<ApiResponse> missing =
      rest.Call(verb::get, "/v1/missing", nullptr, CallOptions::Anonymous());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  std::vector<RecordedRequest> got = server.requests();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].headers["authorization"], "Bearer tok");
  EXPECT_EQ(got[0].headers["content-type"], "application/json");
  EXPECT_EQ(got[0].body, R"({"name":"Lamp"})");
  EXPECT_EQ(got[2].headers.count("authorization"), 0u);
}

}  // namespace
}  // namespace mp::client
