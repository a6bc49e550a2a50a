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
#include <stdexcept>
#include <thread>

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

TEST_F(RouterTest, APublicRouterRefusesRoutesThatNeedSessions) {
  Router open("open");
  auto handler = [](RequestPtr, Caller) -> Task<StatusOr<Reply>> { co_return Reply::NoContent(); };
  EXPECT_THROW(open.Add(Verb::get, "/x", Access::kToken, handler), std::logic_error);
  EXPECT_NO_THROW(open.Add(Verb::get, "/y", Access::kPublic, handler));
}

}  // namespace
}  // namespace mp::http
