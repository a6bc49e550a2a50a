// Router::Dispatch with coroutine handlers, in process: every outcome of a
// handler (a reply, an error, an exception before or after it suspends)
// becomes exactly one response, and the access rules run before the
// handler. The session checks against a real customer DB are covered by the
// frontends' tests (buyer_routes_test.cc, seller_routes_test.cc).
#include "http/router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mp::http {
namespace {

// Ends on another thread, later: as an RPC answer does.
auto Later() {
  auto start = [](std::function<void(StatusOr<int>)> done) {
    std::thread([done = std::move(done)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      done(1);
    }).detach();
  };
  return Await<StatusOr<int>>(std::move(start));
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : codec_(std::string(32, 'k')),
        // Nothing listens there: a route that reached the customer DB
        // would answer 503, not what these tests expect.
        customers_({.addresses = {"127.0.0.1:1"}, .channels_per_address = 1}),
        auth_(codec_, customers_, v1::ROLE_BUYER),
        router_("test", &auth_) {}

  // Dispatches and waits for the one response; counts responses.
  Response Send(Verb method, std::string path, std::string authorization = "") {
    auto request = std::make_shared<Request>();
    request->method = method;
    request->path = std::move(path);
    request->authorization = std::move(authorization);
    return Send(std::move(request));
  }

  Response Send(std::shared_ptr<Request> request) {
    const std::string path = request->path;
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Response> response;
    int calls = 0;
    router_.Dispatch(request, [&](Response r) {
      std::lock_guard lock(mu);
      ++calls;
      response = std::move(r);
      cv.notify_all();
    });
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return response.has_value(); });
    // A second answer would come soon after the first.
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    lock.lock();
    EXPECT_EQ(calls, 1) << path;
    if (!response) {
      ADD_FAILURE() << "no response for " << request->path;
      return Response();
    }
    return *response;
  }

  std::string Token(v1::Role role) {
    return "Bearer " + *codec_.Issue({std::string(64, 'a'), role, 42});
  }

  TokenCodec codec_;
  rpc::CustomerDbClient customers_;
  SessionAuth auth_;
  Router router_;
};

TEST_F(RouterTest, EveryOutcomeOfAHandlerIsOneResponse) {
  router_.Add(Verb::get, "/ok", Access::kPublic, [](RequestPtr, Caller) -> Task<StatusOr<Reply>> {
    (void)co_await Later();
    co_return Reply::Ok(boost::json::object{{"fine", true}});
  });
  router_.Add(Verb::get, "/error", Access::kPublic,
              [](RequestPtr, Caller) -> Task<StatusOr<Reply>> {
                (void)co_await Later();
                co_return NotFound("no such thing");
              });
  router_.Add(Verb::get, "/throws-at-once", Access::kPublic,
              [](RequestPtr, Caller) -> Task<StatusOr<Reply>> {
                throw std::runtime_error("secret detail");
                co_return Reply::NoContent();
              });
  router_.Add(Verb::get, "/throws-later", Access::kPublic,
              [](RequestPtr, Caller) -> Task<StatusOr<Reply>> {
                (void)co_await Later();
                throw std::runtime_error("secret detail");
                co_return Reply::NoContent();
              });

  Response ok = Send(Verb::get, "/ok");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"fine":true})");
  Response error = Send(Verb::get, "/error");
  EXPECT_EQ(error.status, 404);
  EXPECT_NE(error.body.find("not_found"), std::string::npos) << error.body;
  for (const char* path : {"/throws-at-once", "/throws-later"}) {
    Response thrown = Send(Verb::get, path);
    EXPECT_EQ(thrown.status, 500) << path;
    // Callers get no internals.
    EXPECT_EQ(thrown.body.find("secret"), std::string::npos) << thrown.body;
  }
}

TEST_F(RouterTest, TokenRoutesRefuseBadTokensBeforeTheHandlerRuns) {
  std::atomic<int> ran{0};
  Caller seen;
  router_.Add(Verb::get, "/mine", Access::kToken,
              [&](RequestPtr, Caller caller) -> Task<StatusOr<Reply>> {
                ++ran;
                seen = caller;
                co_return Reply::NoContent();
              });
  for (std::string authorization :
       {std::string(), std::string("Bearer nonsense"), Token(v1::ROLE_SELLER)}) {
    EXPECT_EQ(Send(Verb::get, "/mine", authorization).status, 401) << authorization;
  }
  EXPECT_EQ(ran.load(), 0);
  // A buyer's token reaches the handler with the caller it names, and the
  // session for the customer DB to check in its own call.
  EXPECT_EQ(Send(Verb::get, "/mine", Token(v1::ROLE_BUYER)).status, 204);
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(seen.user_id, 42);
  EXPECT_EQ(seen.session.session_id(), std::string(64, 'a'));
  EXPECT_EQ(seen.session.role(), v1::ROLE_BUYER);
}

TEST_F(RouterTest, SessionRoutesNeedTheCustomerDbBeforeTheHandlerRuns) {
  std::atomic<int> ran{0};
  router_.Add(Verb::post, "/write", Access::kSession,
              [&](RequestPtr, Caller) -> Task<StatusOr<Reply>> {
                ++ran;
                co_return Reply::NoContent();
              });
  router_.Add(Verb::get, "/read", Access::kSessionBeside,
              [&](RequestPtr, Caller) -> Task<StatusOr<Reply>> {
                ++ran;
                co_return Reply::Ok(boost::json::object{{"secret", 1}});
              });
  // The customer DB cannot be reached: no write runs, and a read that ran
  // beside the check gives nothing away.
  Response write = Send(Verb::post, "/write", Token(v1::ROLE_BUYER));
  EXPECT_EQ(write.status, 503);
  EXPECT_EQ(ran.load(), 0);
  Response read = Send(Verb::get, "/read", Token(v1::ROLE_BUYER));
  EXPECT_EQ(read.status, 503);
  EXPECT_EQ(read.body.find("secret"), std::string::npos) << read.body;
  EXPECT_EQ(ran.load(), 1);
}

// The one value of header `name` in `r`; none when it is missing, and a
// failure when it is there more than once.
std::optional<std::string> Header(const Response& r, std::string_view name) {
  std::optional<std::string> found;
  for (const auto& [key, value] : r.headers) {
    if (key != name) continue;
    EXPECT_FALSE(found.has_value()) << name << " twice";
    found = value;
  }
  return found;
}

constexpr std::string_view kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

// Bodies the files point into: they must outlive the router (StaticFile::body).
constexpr std::string_view kPageBody = "<!doctype html><title>shop</title>";
constexpr std::string_view kAssetBody = "export const answer = 42;\n";

StaticFile Page() {
  return {.path = "/",
          .content_type = "text/html; charset=utf-8",
          .body = kPageBody,
          .etag = "\"page0001\"",
          .immutable = false};
}

StaticFile Asset() {
  return {.path = "/assets/app.3fa29c01d2.mjs",
          .content_type = "text/javascript; charset=utf-8",
          .body = kAssetBody,
          .etag = "\"3fa29c01d2\"",
          .immutable = true};
}

class RouterFileTest : public RouterTest {
 protected:
  RouterFileTest() {
    router_.AddFile(Page());
    router_.AddFile(Asset());
  }

  Response Get(std::string path, std::string if_none_match = "") {
    auto request = std::make_shared<Request>();
    request->method = Verb::get;
    request->path = std::move(path);
    request->if_none_match = std::move(if_none_match);
    return Send(std::move(request));
  }
};

TEST_F(RouterFileTest, AFileIsServedWithItsBodyTypeAndHeaders) {
  for (const StaticFile& file : {Page(), Asset()}) {
    SCOPED_TRACE(file.path);
    Response r = Get(file.path);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, file.body);
    EXPECT_EQ(r.content_type, file.content_type);
    EXPECT_EQ(Header(r, "ETag"), file.etag);
    EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(Header(r, "Referrer-Policy"), "no-referrer");
    EXPECT_EQ(Header(r, "Content-Security-Policy"), std::string(kCsp));
    EXPECT_TRUE(Header(r, "Cache-Control").has_value());
  }
}

TEST_F(RouterFileTest, ThePageIsRevalidatedAndAssetsAreImmutable) {
  EXPECT_EQ(Header(Get("/"), "Cache-Control"), "no-cache");
  EXPECT_EQ(Header(Get("/assets/app.3fa29c01d2.mjs"), "Cache-Control"),
            "public, max-age=31536000, immutable");
  // Both answers to a revalidation say the same.
  EXPECT_EQ(Header(Get("/", "\"page0001\""), "Cache-Control"), "no-cache");
  EXPECT_EQ(Header(Get("/assets/app.3fa29c01d2.mjs", "\"3fa29c01d2\""), "Cache-Control"),
            "public, max-age=31536000, immutable");
}

TEST_F(RouterFileTest, AMatchingIfNoneMatchAnswers304WithoutABody) {
  for (std::string if_none_match : {
           std::string("\"3fa29c01d2\""),
           std::string("*"),
           std::string("W/\"3fa29c01d2\""),
           std::string("\"other\", \"3fa29c01d2\""),
           std::string("\"other\",W/\"3fa29c01d2\" , \"more\""),
       }) {
    SCOPED_TRACE(if_none_match);
    Response r = Get("/assets/app.3fa29c01d2.mjs", if_none_match);
    EXPECT_EQ(r.status, 304);
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(r.content_type, "");
    // A 304 still names the version the client holds.
    EXPECT_EQ(Header(r, "ETag"), "\"3fa29c01d2\"");
  }
  Response page = Get("/", "\"page0001\"");
  EXPECT_EQ(page.status, 304);
  EXPECT_EQ(page.body, "");
  EXPECT_EQ(page.content_type, "");
}

TEST_F(RouterFileTest, ANonMatchingIfNoneMatchAnswers200WithTheBody) {
  for (std::string if_none_match : {
           std::string("\"other\""),
           std::string("\"other\", W/\"more\""),
           // Another file's tag, and the tag unquoted or cut short.
           std::string("\"page0001\""),
           std::string("3fa29c01d2"),
           std::string("\"3fa29c01d\""),
       }) {
    SCOPED_TRACE(if_none_match);
    Response r = Get("/assets/app.3fa29c01d2.mjs", if_none_match);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, kAssetBody);
    EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  }
}

TEST_F(RouterFileTest, FilesAreNotApiRoutes) {
  router_.Add(Verb::get, "/v1/items", Access::kPublic,
              [](RequestPtr, Caller) -> Task<StatusOr<Reply>> { co_return Reply::NoContent(); });
  EXPECT_EQ(router_.RouteNames(), (std::vector<std::string>{"GET /metrics", "GET /v1/items"}));
}

TEST_F(RouterFileTest, APathNextToAFileIsNotFound) {
  for (const char* path :
       {"/assets/other.mjs", "/index.html", "/assets", "/assets/", "/assets/app.3fa29c01d2.mjs/"}) {
    SCOPED_TRACE(path);
    Response r = Get(path);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_FALSE(Header(r, "ETag").has_value());
    boost::system::error_code ec;
    boost::json::value body = boost::json::parse(r.body, ec);
    ASSERT_FALSE(ec) << r.body;
    ASSERT_TRUE(body.is_object()) << r.body;
    const boost::json::value* error = body.as_object().if_contains("error");
    ASSERT_TRUE(error != nullptr && error->is_object()) << r.body;
    EXPECT_EQ(error->as_object().at("code"), "not_found") << r.body;
  }
}

TEST_F(RouterFileTest, OnlyGetServesAFile) {
  for (Verb method : {Verb::post, Verb::put, Verb::delete_}) {
    auto request = std::make_shared<Request>();
    request->method = method;
    request->path = "/assets/app.3fa29c01d2.mjs";
    Response r = Send(std::move(request));
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(Header(r, "Allow"), "GET") << method;
    EXPECT_EQ(r.body.find("export const"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"error\""), std::string::npos) << r.body;
  }
  EXPECT_EQ(Send(Verb::post, "/").status, 405);
}

TEST_F(RouterTest, APublicRouterRefusesRoutesThatNeedSessions) {
  Router open("open");
  auto handler = [](RequestPtr, Caller) -> Task<StatusOr<Reply>> { co_return Reply::NoContent(); };
  EXPECT_THROW(open.Add(Verb::get, "/x", Access::kToken, handler), std::logic_error);
  EXPECT_NO_THROW(open.Add(Verb::get, "/y", Access::kPublic, handler));
}

}  // namespace
}  // namespace mp::http
