#include "client/http_client.h"

#include <gtest/gtest.h>

#include "client/test_http_server.h"

namespace mp::client {
namespace {

using boost::beast::http::verb;
using testing::CannedReply;
using testing::ClosedPort;
using testing::RecordedRequest;
using testing::TestHttpServer;

std::vector<ServerAddress> Servers(const std::string& list) {
  StatusOr<std::vector<ServerAddress>> servers = ParseServerList(list);
  EXPECT_TRUE(servers.ok()) << servers.status().ToString();
  return servers.ok() ? *servers : std::vector<ServerAddress>{};
}

std::string Closed() { return "127.0.0.1:" + std::to_string(ClosedPort()); }

HttpClientOptions Options(const std::string& list,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  HttpClientOptions options;
  options.servers = Servers(list);
  options.timeout = timeout;
  return options;
}

HttpRequest Request(verb method, std::string target, std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest request;
  request.method = method;
  request.target = std::move(target);
  request.body = std::move(body);
  request.headers = std::move(headers);
  return request;
}

CannedReply Ok(const RecordedRequest&) { return {200, R"({"ok":true})"}; }

TEST(ParseServerListTest, ParsesListsAndRejectsBadEntries) {
  EXPECT_EQ(Servers("a:1, b:2,,http://[::1]:8081/"),
            (std::vector<ServerAddress>{{"a", "1"}, {"b", "2"}, {"::1", "8081"}}));
  EXPECT_EQ((ServerAddress{"::1", "8081"}).ToString(), "[::1]:8081");
  for (const char* bad : {"", " , ", "host", "host:", ":80", "host:http", "h:0", "h:70000"}) {
    EXPECT_FALSE(ParseServerList(bad).ok()) << bad;
  }
}

TEST(HttpClientTest, FailsOverToTheSecondAddressWhenTheFirstRefuses) {
  TestHttpServer server(Ok);
  HttpClient client(Options(Closed() + "," + server.address()));
  StatusOr<HttpResponse> response = client.Send(Request(verb::get, "/v1/items"));
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"ok":true})");
  EXPECT_EQ(response->server, server.address());
  // The working server is now first: a POST, which is never retried after
  // it was sent, goes straight there on the same connection.
  ASSERT_TRUE(client.Send(Request(verb::post, "/v1/x", "{}")).ok());
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClientTest, FailsOverOn503ForRequestsSafeToRepeat) {
  TestHttpServer down([](const RecordedRequest&) {
    return CannedReply{503, R"({"error":{"code":"unavailable","message":"db down"}})"};
  });
  TestHttpServer up(Ok);
  HttpClient client(Options(down.address() + "," + up.address()));
  StatusOr<HttpResponse> response = client.Send(Request(verb::get, "/v1/cart"));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(down.requests().size(), 1u);
  EXPECT_EQ(up.requests().size(), 1u);
}

TEST(HttpClientTest, AWriteAnswered503IsNotSentAgainElsewhere) {
  // The 503 may follow a write a backend already applied: repeating it on
  // another server could apply it twice.
  TestHttpServer down([](const RecordedRequest&) {
    return CannedReply{503, R"({"error":{"code":"unavailable","message":"db down"}})"};
  });
  TestHttpServer up(Ok);
  HttpClient client(Options(down.address() + "," + up.address()));
  StatusOr<HttpResponse> response = client.Send(Request(verb::post, "/v1/cart/items", "{}"));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(down.requests().size(), 1u);
  EXPECT_EQ(up.requests().size(), 0u);
}

TEST(HttpClientTest, ReturnsTheLast503WhenEveryServerIsUnavailable) {
  TestHttpServer down([](const RecordedRequest&) { return CannedReply{503, "{}"}; });
  HttpClient client(Options(Closed() + "," + down.address()));
  StatusOr<HttpResponse> response = client.Send(Request(verb::get, "/healthz"));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 503);
}

TEST(HttpClientTest, UnavailableNamesEveryAddressWhenNoneAnswers) {
  std::string a = Closed(), b = Closed();
  HttpClient client(Options(a + "," + b));
  StatusOr<HttpResponse> response = client.Send(Request(verb::get, "/v1/items"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find(a), std::string::npos);
  EXPECT_NE(response.status().message().find(b), std::string::npos);
}

TEST(HttpClientTest, ReconnectsAfterTheServerClosedTheConnection) {
  TestHttpServer server([](const RecordedRequest&) { return CannedReply{200, "{}", true}; });
  HttpClient client(Options(server.address()));
  for (int i = 0; i < 3; ++i) {
    StatusOr<HttpResponse> response = client.Send(Request(verb::post, "/v1/cart/save"));
    ASSERT_TRUE(response.ok()) << i << ": " << response.status().ToString();
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST(HttpClientTest, NoticesAnIdleConnectionTheServerDroppedBeforeReusingIt) {
  TestHttpServer server([](const RecordedRequest&) {
    CannedReply reply{200, "{}"};
    reply.hang_up_silently = true;
    return reply;
  });
  HttpClient client(Options(server.address()));
  ASSERT_TRUE(client.Send(Request(verb::post, "/v1/cart/save")).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // A POST is never resent, so this only works if the client reconnects
  // before sending instead of writing into the dead connection.
  StatusOr<HttpResponse> second = client.Send(Request(verb::post, "/v1/cart/save"));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpClientTest, SendsHeadersAndBody) {
  TestHttpServer server(Ok);
  HttpClient client(Options(server.address()));
  ASSERT_TRUE(client
                  .Send(Request(verb::patch, "/v1/items/3-7", R"({"price":12.5})",
                                {{"Authorization", "Bearer t"}}))
                  .ok());
  RecordedRequest got = server.requests().at(0);
  EXPECT_EQ(got.method, "PATCH");
  EXPECT_EQ(got.target, "/v1/items/3-7");
  EXPECT_EQ(got.body, R"({"price":12.5})");
  EXPECT_EQ(got.headers["content-type"], "application/json");
  EXPECT_EQ(got.headers["authorization"], "Bearer t");
  EXPECT_EQ(got.headers["host"], server.address());
}

TEST(HttpClientTest, ASlowReplyToAPostIsADeadlineAndIsNotRetried) {
  TestHttpServer server([](const RecordedRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    return CannedReply{200, "{}"};
  });
  HttpClient client(Options(server.address(), std::chrono::milliseconds(150)));
  StatusOr<HttpResponse> response = client.Send(Request(verb::post, "/v1/purchases", "{}"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(response.status().message().find("may or may not"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpClientTest, AnIdempotencyKeyMakesAPostRetryableAfterALostReply) {
  std::atomic<int> calls{0};
  TestHttpServer server([&](const RecordedRequest&) {
    if (calls++ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(700));
    return CannedReply{201, R"({"purchase_id":"p1"})"};
  });
  HttpClient client(Options(server.address(), std::chrono::milliseconds(500)));
  StatusOr<HttpResponse> response =
      client.Send(Request(verb::post, "/v1/purchases", "{}", {{"Idempotency-Key", "k1"}}));
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 201);
  std::vector<RecordedRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].headers["idempotency-key"], "k1");
  EXPECT_EQ(requests[1].headers["idempotency-key"], "k1");
}

}  // namespace
}  // namespace mp::client
