// SPEC §3: failed logins are counted per username and per client address;
// past the budget they get RESOURCE_EXHAUSTED (HTTP 429); successes never
// count, and the budget comes back after the window.
#include <gtest/gtest.h>

#include "customer_db/customer_db_test_fixture.h"

namespace mp::customer_db::testing {
namespace {

using storage::Engine;

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
};

TEST_P(LoginThrottleTest, FailuresPastTheBudgetAreThrottledUntilTheWindowPasses) {
  ASSERT_TRUE(Create(v1::ROLE_BUYER, "dave").ok());
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(
        HasError(LoginFrom("10.0.0.1", "dave", "wrong password"), StatusCode::kUnauthenticated));
  }
  // Even the right password waits now: the guesser must not learn it.
  EXPECT_TRUE(HasError(LoginFrom("10.0.0.1", "dave", kPassword), StatusCode::kResourceExhausted,
                       "too_many_requests"));
  clock_.Advance(61'000);
  EXPECT_TRUE(LoginFrom("10.0.0.1", "dave", kPassword).ok());
}

TEST_P(LoginThrottleTest, SuccessesNeverCount) {
  ASSERT_TRUE(Create(v1::ROLE_BUYER, "erin").ok());
  for (int i = 0; i < 12; ++i) {
    auto login = LoginFrom("10.0.0.2", "erin", kPassword);
    ASSERT_TRUE(login.ok()) << i << ": " << login.status().ToString();
  }
}

TEST_P(LoginThrottleTest, OneAddressGuessingManyUsernamesIsThrottled) {
  // 50 failures from one address (each on a new username) use its budget.
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE(HasError(LoginFrom("10.0.0.3", "user" + std::to_string(i), "wrong password"),
                         StatusCode::kUnauthenticated));
  }
  EXPECT_TRUE(HasError(LoginFrom("10.0.0.3", "someone", "wrong password"),
                       StatusCode::kResourceExhausted, "too_many_requests"));
  // Another address is not affected.
  EXPECT_TRUE(
      HasError(LoginFrom("10.0.0.4", "someone", "wrong password"), StatusCode::kUnauthenticated));
}

INSTANTIATE_TEST_SUITE_P(Engines, LoginThrottleTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& info) { return storage::testing::EngineName(info.param); });

}  // namespace
}  // namespace mp::customer_db::testing
