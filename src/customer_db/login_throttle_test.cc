// docs/contract.md §3: failed logins are counted per (username, client address) and per
// client address; past the budget they get RESOURCE_EXHAUSTED (HTTP 429) with
// the real remaining window; the owner from another address is never locked
// out; concurrent guesses cannot exceed the budget; successes never count,
// and the budget comes back after the window.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "customer_db/customer_db_test_fixture.h"

namespace mp::customer_db::testing {
namespace {

using storage::Engine;

constexpr int kPerUser = LoginThrottle().per_user;
constexpr int kPerAddress = LoginThrottle().per_address;
constexpr int64_t kWindowMs = LoginThrottle().window_ms;

class LoginThrottleTest : public CustomerDbServiceTest {
 protected:
  StatusOr<v1::LoginResponse> LoginFrom(const std::string& address, const std::string& username,
                                        const std::string& password) {
    v1::LoginRequest req;
    req.set_role(v1::ROLE_BUYER);
    req.set_username(username);
    req.set_password(password);
    req.set_client_address(address);
    return client_->Login(req);
  }

  void FailTimes(int times, const std::string& address, const std::string& username) {
    for (int i = 0; i < times; ++i) {
      ASSERT_TRUE(
          HasError(LoginFrom(address, username, "wrong password"), StatusCode::kUnauthenticated))
          << i;
    }
  }

  // The Retry-After of a throttled answer, or -1 when it was not throttled.
  static int64_t RetryAfter(const StatusOr<v1::LoginResponse>& login) {
    if (!HasError(login, StatusCode::kResourceExhausted, "too_many_requests")) return -1;
    return login.status().retry_after_s();
  }
};

TEST_P(LoginThrottleTest, FailuresPastTheBudgetAreThrottledUntilTheWindowPasses) {
  ASSERT_TRUE(Create(v1::ROLE_BUYER, "dave").ok());
  FailTimes(kPerUser, "10.0.0.1", "dave");
  // Even the right password waits now: the guesser must not learn it.
  EXPECT_EQ(RetryAfter(LoginFrom("10.0.0.1", "dave", kPassword)), kWindowMs / 1000);
  clock_.Advance(kWindowMs);
  EXPECT_TRUE(LoginFrom("10.0.0.1", "dave", kPassword).ok());
}

TEST_P(LoginThrottleTest, TheOwnerFromAnotherAddressIsNeverLockedOut) {
  ASSERT_TRUE(Create(v1::ROLE_BUYER, "olga").ok());
  // An attacker spends the budget of (olga, its address), and goes on.
  FailTimes(kPerUser, "203.0.113.9", "olga");
  for (int i = 0; i < 3; ++i) {
    EXPECT_GT(RetryAfter(LoginFrom("203.0.113.9", "olga", "wrong password")), 0);
  }
  // The owner, from an address that has not been failing, gets in.
  auto owner = LoginFrom("198.51.100.7", "olga", kPassword);
  EXPECT_TRUE(owner.ok()) << owner.status().ToString();
  // Another address's own mistakes count on its own budget only.
  FailTimes(kPerUser, "198.51.100.8", "olga");
  EXPECT_TRUE(LoginFrom("198.51.100.7", "olga", kPassword).ok());
}

TEST_P(LoginThrottleTest, RetryAfterIsTheRealRemainingWindow) {
  ASSERT_TRUE(Create(v1::ROLE_BUYER, "rita").ok());
  FailTimes(1, "10.0.0.5", "rita");
  clock_.Advance(20'000);
  FailTimes(kPerUser - 1, "10.0.0.5", "rita");
  clock_.Advance(500);
  // The oldest failure leaves the window 60 s after it: in 39.5 s, said as 40.
  EXPECT_EQ(RetryAfter(LoginFrom("10.0.0.5", "rita", kPassword)), 40);
  clock_.Advance(39'000);
  EXPECT_EQ(RetryAfter(LoginFrom("10.0.0.5", "rita", kPassword)), 1);
  clock_.Advance(500);
  // One failure has left: one more guess is allowed, then 20 s more to wait.
  FailTimes(1, "10.0.0.5", "rita");
  EXPECT_EQ(RetryAfter(LoginFrom("10.0.0.5", "rita", "wrong password")), 20);
}

TEST_P(LoginThrottleTest, ConcurrentGuessesCannotExceedTheBudget) {
  ASSERT_TRUE(Create(v1::ROLE_BUYER, "cora").ok());
  constexpr int kGuesses = 20;
  std::atomic<int> ready = 0;
  std::atomic<int> unauthenticated = 0;
  std::atomic<int> throttled = 0;
  std::atomic<int> other = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < kGuesses; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < kGuesses) std::this_thread::yield();
      auto login = LoginFrom("10.0.0.6", "cora", "wrong password " + std::to_string(i));
      if (HasError(login, StatusCode::kUnauthenticated)) {
        ++unauthenticated;
      } else if (RetryAfter(login) > 0) {
        ++throttled;
      } else {
        ++other;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(unauthenticated.load(), kPerUser);
  EXPECT_EQ(throttled.load(), kGuesses - kPerUser);
  EXPECT_EQ(other.load(), 0);
}

TEST_P(LoginThrottleTest, AnUnknownUsernameCountsTheSame) {
  FailTimes(kPerUser, "10.0.0.8", "nobody");
  EXPECT_EQ(RetryAfter(LoginFrom("10.0.0.8", "nobody", "wrong password")), kWindowMs / 1000);
}

TEST_P(LoginThrottleTest, SuccessesNeverCountNorWait) {
  ASSERT_TRUE(Create(v1::ROLE_BUYER, "erin").ok());
  // One failure short of the budget, then 200 logins from the same host,
  // 10 at a time (as a load generator opening sessions does).
  FailTimes(kPerUser - 1, "10.0.0.2", "erin");
  constexpr int kThreads = 10;
  std::atomic<int> failed = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200 / kThreads; ++i) {
        auto login = LoginFrom("10.0.0.2", "erin", kPassword);
        if (!login.ok()) {
          ++failed;
          ADD_FAILURE() << login.status().ToString();
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  // The budget has exactly one failure left.
  FailTimes(1, "10.0.0.2", "erin");
  EXPECT_GT(RetryAfter(LoginFrom("10.0.0.2", "erin", kPassword)), 0);
}

TEST_P(LoginThrottleTest, OneAddressGuessingManyUsernamesIsThrottled) {
  // Failures from one address (each on a new username) use its budget.
  for (int i = 0; i < kPerAddress; ++i) {
    EXPECT_TRUE(HasError(LoginFrom("10.0.0.3", "user" + std::to_string(i), "wrong password"),
                         StatusCode::kUnauthenticated));
  }
  EXPECT_EQ(RetryAfter(LoginFrom("10.0.0.3", "someone", "wrong password")), kWindowMs / 1000);
  // Another address is not affected.
  EXPECT_TRUE(
      HasError(LoginFrom("10.0.0.4", "someone", "wrong password"), StatusCode::kUnauthenticated));
  clock_.Advance(kWindowMs);
  EXPECT_TRUE(
      HasError(LoginFrom("10.0.0.3", "someone", "wrong password"), StatusCode::kUnauthenticated));
}

// A direct gRPC caller that gives no address is one more address, "": such
// callers share its budgets, and the frontends' clients keep theirs.
TEST_P(LoginThrottleTest, CallersWithoutAnAddressShareOneBudget) {
  ASSERT_TRUE(Create(v1::ROLE_BUYER, "nina").ok());
  FailTimes(kPerUser, "", "nina");
  EXPECT_GT(RetryAfter(LoginFrom("", "nina", kPassword)), 0);
  EXPECT_TRUE(LoginFrom("10.0.0.9", "nina", kPassword).ok());
}

INSTANTIATE_TEST_SUITE_P(Engines, LoginThrottleTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& info) { return storage::testing::EngineName(info.param); });

}  // namespace
}  // namespace mp::customer_db::testing
