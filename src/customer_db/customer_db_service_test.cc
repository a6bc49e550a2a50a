// CustomerDb over real gRPC on loopback, through rpc::CustomerDbClient,
// against a SQLite file and a PostgreSQL schema: the happy path of every RPC
// and the errors (with their reasons) a frontend relies on.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <tuple>

#include "common/status_mapping.h"
#include "customer_db/customer_db_test_fixture.h"

namespace mp::customer_db::testing {
namespace {

using storage::Engine;

class CustomerDbFlowTest : public CustomerDbServiceTest {};

TEST_P(CustomerDbFlowTest, CreatesAccountsAndOpensIndependentSessions) {
  auto seller_id = Create(v1::ROLE_SELLER, "alice");
  ASSERT_TRUE(seller_id.ok()) << seller_id.status().ToString();
  // Usernames are unique per role: a buyer may share a seller's name.
  auto buyer_id = Create(v1::ROLE_BUYER, "alice");
  ASSERT_TRUE(buyer_id.ok()) << buyer_id.status().ToString();
  EXPECT_NE(*seller_id, *buyer_id);

  v1::GetAccountRequest get;
  get.set_role(v1::ROLE_SELLER);
  get.set_user_id(*seller_id);
  auto account = client_->GetAccount(get);
  ASSERT_TRUE(account.ok()) << account.status().ToString();
  EXPECT_EQ(account->role(), v1::ROLE_SELLER);
  EXPECT_EQ(account->user_id(), *seller_id);
  EXPECT_EQ(account->username(), "alice");
  EXPECT_EQ(account->name(), "Name of alice");
  EXPECT_EQ(account->units(), 0);
  get.set_role(v1::ROLE_BUYER);  // the seller's id is no buyer
  EXPECT_TRUE(HasError(client_->GetAccount(get), StatusCode::kNotFound));
  get.set_user_id(*seller_id + *buyer_id + 100);
  EXPECT_TRUE(HasError(client_->GetAccount(get), StatusCode::kNotFound));

  // Two hosts, two sessions, each valid on its own.
  auto first = Login(v1::ROLE_SELLER, "alice");
  auto second = Login(v1::ROLE_SELLER, "alice");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(first->user_id(), *seller_id);
  EXPECT_EQ(first->session_id().size(), 64u);
  EXPECT_NE(first->session_id(), second->session_id());
  v1::SessionRequest s1 = Session(first->session_id(), v1::ROLE_SELLER);
  v1::SessionRequest s2 = Session(second->session_id(), v1::ROLE_SELLER);
  auto info = client_->ValidateSession(s1);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->session_id(), s1.session_id());
  EXPECT_EQ(info->role(), v1::ROLE_SELLER);
  EXPECT_EQ(info->user_id(), *seller_id);

  ASSERT_TRUE(client_->Logout(s1).ok());
  EXPECT_TRUE(
      HasError(client_->ValidateSession(s1), StatusCode::kUnauthenticated, "unauthenticated"));
  EXPECT_TRUE(client_->ValidateSession(s2).ok());
}

TEST_P(CustomerDbFlowTest, RefusesATakenUsernameAndKeepsTheFirstAccount) {
  ASSERT_TRUE(Create(v1::ROLE_BUYER, "bob").ok());
  EXPECT_TRUE(HasError(Create(v1::ROLE_BUYER, "bob", "another password"),
                       StatusCode::kAlreadyExists, "username_taken"));
  EXPECT_TRUE(Login(v1::ROLE_BUYER, "bob").ok());
  EXPECT_TRUE(
      HasError(Login(v1::ROLE_BUYER, "bob", "another password"), StatusCode::kUnauthenticated));
}

TEST_P(CustomerDbFlowTest, RefusesWrongPasswordUnknownUserAndOtherRole) {
  ASSERT_TRUE(Create(v1::ROLE_BUYER, "carol").ok());
  EXPECT_TRUE(HasError(Login(v1::ROLE_BUYER, "carol", "wrong password"),
                       StatusCode::kUnauthenticated, "unauthenticated"));
  EXPECT_TRUE(
      HasError(Login(v1::ROLE_BUYER, "nobody"), StatusCode::kUnauthenticated, "unauthenticated"));
  EXPECT_TRUE(
      HasError(Login(v1::ROLE_SELLER, "carol"), StatusCode::kUnauthenticated, "unauthenticated"));
}

TEST_P(CustomerDbFlowTest, RefusesUnknownEndedAndOtherRoleSessions) {
  auto [buyer_id, session] = SignUp(v1::ROLE_BUYER, "dave");
  ASSERT_GT(buyer_id, 0);
  ASSERT_TRUE(Add(session, "3-1", 1, 5).ok());

  // A buyer session presented as a seller's is refused, and cannot end it.
  v1::SessionRequest as_seller = Session(session.session_id(), v1::ROLE_SELLER);
  EXPECT_TRUE(HasError(client_->ValidateSession(as_seller), StatusCode::kUnauthenticated));
  EXPECT_TRUE(HasError(client_->Logout(as_seller), StatusCode::kUnauthenticated));
  EXPECT_TRUE(client_->ValidateSession(session).ok());

  auto expect_refused = [&](const v1::SessionRequest& bad) {
    const auto kUnauth = StatusCode::kUnauthenticated;
    EXPECT_TRUE(HasError(client_->ValidateSession(bad), kUnauth));
    EXPECT_TRUE(HasError(client_->GetCart(bad), kUnauth));
    EXPECT_TRUE(HasError(Add(bad, "3-1", 1, 5), kUnauth));
    v1::RemoveFromCartRequest remove;
    *remove.mutable_session() = bad;
    remove.set_item_id("3-1");
    EXPECT_TRUE(HasError(client_->RemoveFromCart(remove), kUnauth));
    EXPECT_TRUE(HasError(client_->ClearCart(bad), kUnauth));
    EXPECT_TRUE(HasError(client_->SaveCart(bad), kUnauth));
    EXPECT_TRUE(HasError(client_->ListPurchases(PurchasesOf(bad)), kUnauth));
  };
  expect_refused(Session(RandomToken(), v1::ROLE_BUYER));
  ASSERT_TRUE(client_->Logout(session).ok());
  expect_refused(session);

  // Logout discarded the working cart: nothing was saved.
  auto again = Login(v1::ROLE_BUYER, "dave");
  ASSERT_TRUE(again.ok());
  auto cart = client_->GetCart(Session(again->session_id(), v1::ROLE_BUYER));
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "");
}

TEST_P(CustomerDbFlowTest, ValidateSessionsAnswersEachSessionInOrder) {
  auto [seller_id, seller] = SignUp(v1::ROLE_SELLER, "erin");
  auto [buyer_id, buyer] = SignUp(v1::ROLE_BUYER, "fred");
  auto [ended_id, ended] = SignUp(v1::ROLE_BUYER, "gail");
  ASSERT_TRUE(client_->Logout(ended).ok());

  v1::ValidateSessionsRequest request;
  for (const v1::SessionRequest& s :
       {buyer, Session(RandomToken(), v1::ROLE_BUYER), seller, ended,
        Session(buyer.session_id(), v1::ROLE_SELLER), Session("", v1::ROLE_BUYER), buyer}) {
    *request.add_sessions() = s;
  }
  auto reply = client_->ValidateSessions(request);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  ASSERT_EQ(reply->checks_size(), 7);
  std::vector<int64_t> users;
  for (const v1::SessionCheck& check : reply->checks()) {
    users.push_back(check.live() ? check.info().user_id() : 0);
    EXPECT_EQ(check.live(), !check.has_failure()) << check.failure().message();
  }
  EXPECT_EQ(users, (std::vector<int64_t>{buyer_id, 0, seller_id, 0, 0, 0, buyer_id}));
  // Each refusal is the error ValidateSession would have answered, code
  // included: a dead session is not an ill-formed one.
  for (int dead : {1, 3, 4}) {
    EXPECT_EQ(FromFailure(reply->checks(dead).failure()).code(), StatusCode::kUnauthenticated)
        << dead;
  }
  EXPECT_EQ(FromFailure(reply->checks(5).failure()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reply->checks(2).info().role(), v1::ROLE_SELLER);
  EXPECT_EQ(reply->checks(0).info().session_id(), buyer.session_id());

  EXPECT_TRUE(client_->ValidateSessions(v1::ValidateSessionsRequest()).ok());
  v1::ValidateSessionsRequest too_many;
  for (int i = 0; i < 1001; ++i) *too_many.add_sessions() = buyer;
  EXPECT_TRUE(HasError(client_->ValidateSessions(too_many), StatusCode::kInvalidArgument));
}

TEST_P(CustomerDbFlowTest, SessionEndsAfterTimeoutWithoutRequests) {
  auto [buyer_id, session] = SignUp(v1::ROLE_BUYER, "erin");
  ASSERT_GT(buyer_id, 0);
  ASSERT_TRUE(Add(session, "3-1", 1, 5).ok());

  // Every request counts as activity and pushes the end further out.
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(kTimeoutMs - 1000);
    ASSERT_TRUE(client_->ValidateSession(session).ok()) << i;
  }
  clock_.Advance(kTimeoutMs - 1000);
  auto cart = client_->GetCart(session);
  ASSERT_TRUE(cart.ok()) << cart.status().ToString();
  EXPECT_EQ(Lines(*cart), "3-1:1");

  // Past the timeout and the slack it may take (session_repository.h).
  clock_.Advance(kTimeoutMs + storage::SessionRules::TouchIntervalMs(kTimeoutMs) + 1);
  EXPECT_TRUE(HasError(client_->ValidateSession(session), StatusCode::kUnauthenticated));
  EXPECT_TRUE(HasError(client_->GetCart(session), StatusCode::kUnauthenticated));
  EXPECT_TRUE(HasError(Add(session, "3-1", 1, 5), StatusCode::kUnauthenticated));
  EXPECT_TRUE(HasError(client_->SaveCart(session), StatusCode::kUnauthenticated));

  // A new login works; the expired session's unsaved cart is gone.
  auto login = Login(v1::ROLE_BUYER, "erin");
  ASSERT_TRUE(login.ok());
  cart = client_->GetCart(Session(login->session_id(), v1::ROLE_BUYER));
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "");
}

TEST_P(CustomerDbFlowTest, CartLivesInTheSessionAndSaveCartKeepsIt) {
  auto [buyer_id, s1] = SignUp(v1::ROLE_BUYER, "frank");
  ASSERT_GT(buyer_id, 0);
  auto cart = Add(s1, "3-1", 2, 5);
  ASSERT_TRUE(cart.ok()) << cart.status().ToString();
  EXPECT_EQ(cart->buyer_id(), buyer_id);
  EXPECT_EQ(Lines(*cart), "3-1:2");
  cart = Add(s1, "3-1", 2, 5);
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "3-1:4");
  // The cart may not hold more than the units for sale.
  EXPECT_TRUE(HasError(Add(s1, "3-1", 2, 5), StatusCode::kAborted, "insufficient_quantity"));
  EXPECT_TRUE(HasError(Add(s1, "9-9", 1, 0), StatusCode::kAborted, "insufficient_quantity"));
  cart = Add(s1, "10-2", 1, 1);
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "10-2:1 3-1:4");

  v1::RemoveFromCartRequest remove;
  *remove.mutable_session() = s1;
  remove.set_item_id("3-1");
  remove.set_quantity(1);
  cart = client_->RemoveFromCart(remove);
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "10-2:1 3-1:3");
  remove.set_item_id("7-7");
  EXPECT_TRUE(HasError(client_->RemoveFromCart(remove), StatusCode::kNotFound, "not_found"));
  remove.set_item_id("10-2");
  remove.clear_quantity();  // all units
  cart = client_->RemoveFromCart(remove);
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "3-1:3");

  ASSERT_TRUE(Add(s1, "4-2", 1, 1).ok());
  ASSERT_TRUE(client_->SaveCart(s1).ok());
  ASSERT_TRUE(Add(s1, "5-5", 1, 1).ok());  // after the save: not kept

  // A second session starts from the saved cart and changes on its own.
  auto login = Login(v1::ROLE_BUYER, "frank");
  ASSERT_TRUE(login.ok());
  v1::SessionRequest s2 = Session(login->session_id(), v1::ROLE_BUYER);
  cart = client_->GetCart(s2);
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "3-1:3 4-2:1");
  cart = client_->ClearCart(s2);
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "");
  cart = client_->GetCart(s1);
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "3-1:3 4-2:1 5-5:1");

  // Logout drops the working cart; the saved one (untouched by ClearCart)
  // comes back at the next login.
  ASSERT_TRUE(client_->Logout(s1).ok());
  login = Login(v1::ROLE_BUYER, "frank");
  ASSERT_TRUE(login.ok());
  cart = client_->GetCart(Session(login->session_id(), v1::ROLE_BUYER));
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "3-1:3 4-2:1");
}

TEST_P(CustomerDbFlowTest, RecordsPurchasesOnceAndCountsUnits) {
  auto seller_id = Create(v1::ROLE_SELLER, "gina");
  ASSERT_TRUE(seller_id.ok());
  auto [buyer_id, session] = SignUp(v1::ROLE_BUYER, "gina");
  ASSERT_GT(buyer_id, 0);
  ASSERT_TRUE(Add(session, "3-1", 2, 5).ok());
  ASSERT_TRUE(Add(session, "4-2", 1, 5).ok());
  ASSERT_TRUE(client_->SaveCart(session).ok());

  v1::RecordPurchaseRequest req;
  req.set_purchase_id("p-1");
  req.set_buyer_id(buyer_id);
  req.set_clear_session_id(session.session_id());
  for (auto [item, quantity, price] : {std::tuple{"3-1", 2, 1999}, std::tuple{"4-2", 1, 500}}) {
    v1::PurchaseLine* line = req.add_lines();
    line->set_item_id(item);
    line->set_seller_id(*seller_id);
    line->set_quantity(quantity);
    line->set_price_cents(price);
  }
  const int64_t bought_at = clock_.NowMs();
  auto recorded = client_->RecordPurchase(req);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(recorded->purchase_id(), "p-1");
  EXPECT_EQ(recorded->time_ms(), bought_at);

  // Both carts cleared with the purchase.
  auto cart = client_->GetCart(session);
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "");
  auto login = Login(v1::ROLE_BUYER, "gina");
  ASSERT_TRUE(login.ok());
  cart = client_->GetCart(Session(login->session_id(), v1::ROLE_BUYER));
  ASSERT_TRUE(cart.ok());
  EXPECT_EQ(Lines(*cart), "");

  // A retry changes nothing and answers like the first call.
  clock_.Advance(1000);
  auto retried = client_->RecordPurchase(req);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->time_ms(), bought_at);

  auto list = client_->ListPurchases(PurchasesOf(session));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->purchases_size(), 2);
  EXPECT_EQ(list->purchases(0).purchase_id(), "p-1");
  EXPECT_EQ(list->purchases(0).item_id(), "3-1");
  EXPECT_EQ(list->purchases(0).quantity(), 2);
  EXPECT_EQ(list->purchases(0).price_cents(), 1999);
  EXPECT_EQ(list->purchases(0).time_ms(), bought_at);
  EXPECT_EQ(list->purchases(1).item_id(), "4-2");

  req.set_purchase_id("p-2");
  req.clear_clear_session_id();
  req.mutable_lines()->DeleteSubrange(1, 1);
  req.mutable_lines(0)->set_quantity(1);
  ASSERT_TRUE(client_->RecordPurchase(req).ok());

  v1::GetPurchasedQuantityRequest bought;
  bought.set_buyer_id(buyer_id);
  bought.set_item_id("3-1");
  auto quantity = client_->GetPurchasedQuantity(bought);
  ASSERT_TRUE(quantity.ok());
  EXPECT_EQ(quantity->quantity(), 3);
  bought.set_item_id("9-9");
  quantity = client_->GetPurchasedQuantity(bought);
  ASSERT_TRUE(quantity.ok());
  EXPECT_EQ(quantity->quantity(), 0);

  v1::GetAccountRequest get;
  get.set_role(v1::ROLE_SELLER);
  get.set_user_id(*seller_id);
  auto account = client_->GetAccount(get);
  ASSERT_TRUE(account.ok());
  EXPECT_EQ(account->units(), 4);  // items_sold
  get.set_role(v1::ROLE_BUYER);
  get.set_user_id(buyer_id);
  account = client_->GetAccount(get);
  ASSERT_TRUE(account.ok());
  EXPECT_EQ(account->units(), 4);  // items_purchased
}

TEST_P(CustomerDbFlowTest, AsynchronousCallsCompleteThroughCallbacks) {
  auto [buyer_id, session] = SignUp(v1::ROLE_BUYER, "hank");
  ASSERT_GT(buyer_id, 0);
  constexpr int kCalls = 48;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, ok = 0, unauthenticated = 0;
  auto finish = [&](bool good, bool refused) {
    std::lock_guard lock(mu);
    ++done;
    ok += good;
    unauthenticated += refused;
    cv.notify_all();
  };
  v1::SessionRequest unknown = Session(RandomToken(), v1::ROLE_BUYER);
  for (int i = 0; i < kCalls; ++i) {
    if (i % 2 == 0) {
      client_->ValidateSession(session, [&, id = buyer_id](StatusOr<v1::SessionInfo> r) {
        finish(r.ok() && r->user_id() == id, false);
      });
    } else {
      client_->GetCart(unknown, [&](StatusOr<v1::Cart> r) {
        finish(false, !r.ok() && r.status().code() == StatusCode::kUnauthenticated);
      });
    }
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return done == kCalls; }))
      << done << " of " << kCalls << " callbacks ran";
  EXPECT_EQ(ok, kCalls / 2);
  EXPECT_EQ(unauthenticated, kCalls / 2);
}

INSTANTIATE_TEST_SUITE_P(Engines, CustomerDbFlowTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return storage::testing::EngineName(info.param);
                         });

}  // namespace
}  // namespace mp::customer_db::testing
