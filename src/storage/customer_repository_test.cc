// The customer database's repositories against both engines: accounts,
// sessions and carts (purchases: purchase_attempt_test.cc).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "storage/customer_repository_test_fixture.h"

namespace mp::storage::testing {
namespace {

TEST_P(CustomerRepositoryTest, CreatesAccount) {
  auto id = accounts_->CreateAccount(kSeller, "sally", "hash-1", "Sally S");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_GT(id->value, 0);
  EXPECT_NE(id->value, buyer_);
  auto account = accounts_->GetAccount(kSeller, *id);
  ASSERT_TRUE(account.ok()) << account.status().ToString();
  EXPECT_EQ(account->role, kSeller);
  EXPECT_EQ(account->user_id, *id);
  EXPECT_EQ(account->username, "sally");
  EXPECT_EQ(account->name, "Sally S");
  EXPECT_EQ(account->units, 0);
  // The id belongs to a seller, not to a buyer.
  EXPECT_EQ(accounts_->GetAccount(kBuyer, *id).status().code(), StatusCode::kNotFound);
}

TEST_P(CustomerRepositoryTest, UsernameIsUniquePerRole) {
  struct Case {
    Role existing;
    Role wanted;
    bool taken;
  };
  const Case cases[] = {{kBuyer, kBuyer, true},
                        {kSeller, kSeller, true},
                        {kSeller, kBuyer, false},
                        {kBuyer, kSeller, false}};
  int n = 0;
  for (const Case& c : cases) {
    std::string name = Key("user", n++);
    int64_t first = NewAccount(c.existing, name);
    auto second = accounts_->CreateAccount(c.wanted, name, "h", "Other");
    if (c.taken) {
      EXPECT_EQ(second.status().code(), StatusCode::kAlreadyExists) << name;
      EXPECT_EQ(second.status().reason(), "username_taken") << name;
      auto creds = accounts_->GetCredentials(c.existing, name);
      ASSERT_TRUE(creds.ok());
      EXPECT_EQ(creds->user_id.value, first) << "the first account stays";
    } else {
      ASSERT_TRUE(second.ok()) << name << ": " << second.status().ToString();
      EXPECT_NE(second->value, first);
    }
  }
}

TEST_P(CustomerRepositoryTest, ReturnsCredentialsOfRoleAndUsername) {
  int64_t seller = NewAccount(kSeller, "bob");  // same name as the buyer
  auto creds = accounts_->GetCredentials(kSeller, "bob");
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  EXPECT_EQ(creds->user_id.value, seller);
  EXPECT_EQ(creds->password_hash, "$argon2id$hash");
  EXPECT_EQ(accounts_->GetCredentials(kBuyer, "bob")->user_id.value, buyer_);
  for (const char* unknown : {"nobody", "BOB", "bob "}) {
    EXPECT_EQ(accounts_->GetCredentials(kBuyer, unknown).status().code(), StatusCode::kNotFound)
        << unknown;
  }
}

TEST_P(CustomerRepositoryTest, ChecksLiveSession) {
  SessionKey s = Open("s1");
  auto info = sessions_->CheckSession(s);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->session_id, "s1");
  EXPECT_EQ(info->role, kBuyer);
  EXPECT_EQ(info->user_id.value, buyer_);
}

TEST_P(CustomerRepositoryTest, RefusesUnknownEndedOrOtherRoleSession) {
  int64_t seller = NewAccount(kSeller, "sally");
  Open("buyer-s");
  Open("seller-s", kSeller, seller);
  Open("ended");
  ASSERT_TRUE(sessions_->EndSession("ended").ok());
  const SessionKey refused[] = {Ref("buyer-s", kSeller), Ref("seller-s", kBuyer),
                                Ref("nope", kBuyer), Ref("ended", kBuyer), Ref("", kBuyer)};
  for (const auto& ref : refused) {
    EXPECT_EQ(sessions_->CheckSession(ref).status().code(), StatusCode::kUnauthenticated)
        << ref.session_id << " as " << static_cast<int>(ref.role);
  }
  EXPECT_TRUE(sessions_->CheckSession(Ref("buyer-s", kBuyer)).ok());
  EXPECT_TRUE(sessions_->CheckSession(Ref("seller-s", kSeller)).ok());
  EXPECT_TRUE(sessions_->EndSession("ended").ok()) << "ending twice is fine";
}

TEST_P(CustomerRepositoryTest, ChecksABatchOfSessionsAsOneCheckEach) {
  int64_t seller = NewAccount(kSeller, "sally");
  Open("live");
  Open("seller-s", kSeller, seller);
  Open("ended");
  Open("idle");
  ASSERT_TRUE(sessions_->EndSession("ended").ok());
  clock_.Advance(kTimeoutMs);
  ASSERT_TRUE(sessions_->CheckSession(Ref("live", kBuyer)).ok());  // activity: stays live
  ASSERT_TRUE(sessions_->CheckSession(Ref("seller-s", kSeller)).ok());
  clock_.Advance(kSlackMs + 1);  // "idle" is now past the timeout and its slack
  const SessionKey batch[] = {
      Ref("live", kBuyer),    Ref("seller-s", kBuyer),  Ref("nope", kBuyer), Ref("ended", kBuyer),
      Ref("idle", kBuyer),    Ref("seller-s", kSeller), Ref("live", kBuyer), Ref("", kBuyer),
      Ref("bad\"id", kBuyer), Ref("a,b}", kBuyer)};
  auto answers = sessions_->CheckSessions({std::begin(batch), std::end(batch)});
  ASSERT_EQ(answers.size(), std::size(batch));
  const bool live[] = {true, false, false, false, false, true, true, false, false, false};
  for (size_t i = 0; i < answers.size(); ++i) {
    const SessionKey& r = batch[i];
    EXPECT_EQ(answers[i].ok(), live[i]) << i << ": " << r.session_id;
    // The same answer as one check of that session alone.
    EXPECT_EQ(answers[i].status().code(), sessions_->CheckSession(r).status().code()) << i;
    if (!answers[i].ok()) {
      EXPECT_EQ(answers[i].status().code(), StatusCode::kUnauthenticated) << i;
      continue;
    }
    EXPECT_EQ(answers[i]->session_id, r.session_id);
    EXPECT_EQ(answers[i]->role, r.role);
    EXPECT_EQ(answers[i]->user_id.value, r.role == kSeller ? seller : buyer_);
  }
  EXPECT_TRUE(sessions_->CheckSessions({}).empty());

  // A batch check is activity too: checked half a timeout later, the live
  // sessions outlive the timeout counted from their last check.
  clock_.Advance(kTimeoutMs / 2);
  auto later = sessions_->CheckSessions({batch[0], batch[5]});
  EXPECT_TRUE(later[0].ok() && later[1].ok());
  clock_.Advance(kTimeoutMs / 2 + 10);
  later = sessions_->CheckSessions({batch[0], batch[5]});
  EXPECT_TRUE(later[0].ok() && later[1].ok());
  clock_.Advance(kTimeoutMs + kSlackMs + 1);
  for (const auto& answer : sessions_->CheckSessions({batch[0]})) {
    EXPECT_EQ(answer.status().code(), StatusCode::kUnauthenticated);
  }
}

TEST_P(CustomerRepositoryTest, SessionExpiresAfterIdleTimeout) {
  SessionKey active = Open("active");
  SessionKey idle = Open("idle");
  // A session opened (or touched) at t lives until t + timeout + the touch
  // interval (the slack documented in session_repository.h).
  clock_.Advance(kTimeoutMs + kSlackMs);
  EXPECT_TRUE(sessions_->CheckSession(active).ok()) << "idle exactly timeout + slack";
  clock_.Advance(1);
  EXPECT_EQ(sessions_->CheckSession(idle).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(sessions_->CheckSession(active).ok()) << "the check was activity";
  clock_.Advance(kTimeoutMs + kSlackMs + 1);
  EXPECT_EQ(sessions_->CheckSession(active).status().code(), StatusCode::kUnauthenticated);
}

TEST_P(CustomerRepositoryTest, TouchesSessionOnlyAfterTenthOfTimeout) {
  const int64_t start = clock_.NowMs();
  SessionKey s = Open("s1");
  clock_.Advance(kTimeoutMs / 10);
  ASSERT_TRUE(sessions_->CheckSession(s).ok());
  EXPECT_EQ(Scalar(kSelectLastActive, "s1"), start) << "not due yet";
  clock_.Advance(1);
  ASSERT_TRUE(sessions_->CheckSession(s).ok());
  EXPECT_EQ(Scalar(kSelectLastActive, "s1"), clock_.NowMs());
  // Cart changes count as activity under the same rule.
  const int64_t touched = clock_.NowMs();
  clock_.Advance(kTimeoutMs / 20);
  Add(s, "1-1", 1);
  EXPECT_EQ(Scalar(kSelectLastActive, "s1"), touched);
  clock_.Advance(kTimeoutMs / 10);
  Add(s, "1-1", 1);
  EXPECT_EQ(Scalar(kSelectLastActive, "s1"), clock_.NowMs());
}

TEST_P(CustomerRepositoryTest, DeletesOnlyExpiredSessionsWithTheirCarts) {
  SessionKey old_s = Open("old");
  Add(old_s, "1-1", 2);
  ASSERT_TRUE(carts_->SaveCart(old_s).ok());
  clock_.Advance(kTimeoutMs / 2);
  SessionKey new_s = Open("new");
  clock_.Advance(kTimeoutMs / 2 + kSlackMs + 1);
  auto deleted = sessions_->DeleteExpiredSessions();
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_EQ(*deleted, 1);
  EXPECT_EQ(Scalar(kCountSessionRows, "old"), 0);
  EXPECT_TRUE(sessions_->CheckSession(new_s).ok());
  EXPECT_EQ(*sessions_->DeleteExpiredSessions(), 0);
  // The saved cart outlives the expired session.
  EXPECT_EQ(CartOf(Open("later")), (Lines{{"1-1", 2}}));
}

TEST_P(CustomerRepositoryTest, AddsToCartMergingLines) {
  SessionKey s = Open("s1");
  Add(s, "2-7", 2);
  Add(s, "1-9", 1);
  auto cart = carts_->AddToCart(s, ItemOf("2-7"), 3, 5);
  ASSERT_TRUE(cart.ok()) << cart.status().ToString();
  EXPECT_EQ(cart->buyer_id.value, buyer_);
  EXPECT_EQ(LinesOf(*cart), (Lines{{"1-9", 1}, {"2-7", 5}}));
  EXPECT_EQ(CartOf(s), LinesOf(*cart));
}

TEST_P(CustomerRepositoryTest, RefusesAddingBeyondAvailable) {
  struct Case {
    int64_t in_cart, add, available;
    bool ok;
  };
  const Case cases[] = {{0, 5, 5, true},  {0, 6, 5, false}, {3, 2, 5, true},
                        {3, 3, 5, false}, {0, 1, 0, false}, {4, 1, 3, false}};
  int n = 0;
  for (const Case& c : cases) {
    SessionKey s = Open(Key("s", n++));
    if (c.in_cart > 0) Add(s, "1-1", c.in_cart);
    auto cart = carts_->AddToCart(s, ItemOf("1-1"), c.add, c.available);
    Lines expected;
    if (c.ok) {
      ASSERT_TRUE(cart.ok()) << n << ": " << cart.status().ToString();
      expected = {{"1-1", c.in_cart + c.add}};
    } else {
      EXPECT_EQ(cart.status().code(), StatusCode::kAborted) << n;
      EXPECT_EQ(cart.status().reason(), "insufficient_quantity") << n;
      if (c.in_cart > 0) expected = {{"1-1", c.in_cart}};
    }
    EXPECT_EQ(CartOf(s), expected) << "case " << n;
  }
}

TEST_P(CustomerRepositoryTest, RemovesSomeOrAllUnits) {
  struct Case {
    std::optional<int64_t> remove;
    Lines left;
  };
  const Case cases[] = {{2, {{"1-1", 3}, {"1-2", 1}}},
                        {4, {{"1-1", 1}, {"1-2", 1}}},
                        {5, {{"1-2", 1}}},
                        {9, {{"1-2", 1}}},
                        {std::nullopt, {{"1-2", 1}}}};
  int n = 0;
  for (const Case& c : cases) {
    SessionKey s = Open(Key("s", n++));
    Add(s, "1-1", 5);
    Add(s, "1-2", 1);
    auto cart = carts_->RemoveFromCart(s, ItemOf("1-1"), c.remove);
    ASSERT_TRUE(cart.ok()) << cart.status().ToString();
    EXPECT_EQ(LinesOf(*cart), c.left) << "case " << n;
    EXPECT_EQ(CartOf(s), c.left) << "case " << n;
  }
}

TEST_P(CustomerRepositoryTest, RemovingItemNotInCartIsNotFound) {
  SessionKey s = Open("s1");
  Add(s, "1-1", 2);
  for (std::optional<int64_t> q : {std::optional<int64_t>(1), std::optional<int64_t>()}) {
    EXPECT_EQ(carts_->RemoveFromCart(s, ItemOf("1-2"), q).status().code(), StatusCode::kNotFound);
  }
  EXPECT_EQ(CartOf(s), (Lines{{"1-1", 2}}));
}

TEST_P(CustomerRepositoryTest, ClearsWorkingCartOnly) {
  SessionKey s = Open("s1");
  Add(s, "1-1", 2);
  ASSERT_TRUE(carts_->SaveCart(s).ok());
  Add(s, "1-2", 1);
  auto cart = carts_->ClearCart(s);
  ASSERT_TRUE(cart.ok()) << cart.status().ToString();
  EXPECT_EQ(cart->lines.size(), 0);
  EXPECT_EQ(CartOf(s), Lines{});
  EXPECT_EQ(CartOf(Open("s2")), (Lines{{"1-1", 2}}));
}

TEST_P(CustomerRepositoryTest, NewSessionStartsFromSavedCart) {
  SessionKey s1 = Open("s1");
  EXPECT_EQ(CartOf(s1), Lines{});
  Add(s1, "1-1", 2);
  Add(s1, "3-4", 1);
  ASSERT_TRUE(carts_->SaveCart(s1).ok());
  Add(s1, "1-1", 1);  // after the save: working cart only
  SessionKey s2 = Open("s2");
  EXPECT_EQ(CartOf(s2), (Lines{{"1-1", 2}, {"3-4", 1}}));
  // The two working carts are independent.
  Add(s2, "9-9", 1);
  EXPECT_EQ(CartOf(s1), (Lines{{"1-1", 3}, {"3-4", 1}}));
  // Saving again replaces the saved cart.
  ASSERT_TRUE(carts_->ClearCart(s1).ok());
  Add(s1, "5-5", 5);
  ASSERT_TRUE(carts_->SaveCart(s1).ok());
  EXPECT_EQ(CartOf(Open("s3")), (Lines{{"5-5", 5}}));
  // Another buyer starts empty.
  int64_t other = NewAccount(kBuyer, "carol");
  EXPECT_EQ(CartOf(Open("s4", kBuyer, other)), Lines{});
}

TEST_P(CustomerRepositoryTest, LogoutDiscardsWorkingCartButKeepsSaved) {
  SessionKey s1 = Open("s1");
  Add(s1, "1-1", 2);
  ASSERT_TRUE(carts_->SaveCart(s1).ok());
  Add(s1, "1-1", 1);
  Add(s1, "2-2", 4);
  ASSERT_TRUE(sessions_->EndSession("s1").ok());
  EXPECT_EQ(Scalar(kCountSessionRows, "s1"), 0);
  EXPECT_EQ(CartOf(Open("s2")), (Lines{{"1-1", 2}}));
}

TEST_P(CustomerRepositoryTest, CartCallsNeedLiveBuyerSession) {
  using Call = std::function<Status(const SessionKey&)>;
  const std::pair<const char*, Call> calls[] = {
      {"GetCart", [&](auto& s) { return carts_->GetCart(s).status(); }},
      {"AddToCart", [&](auto& s) { return carts_->AddToCart(s, ItemOf("1-1"), 1, 9).status(); }},
      {"RemoveFromCart",
       [&](auto& s) { return carts_->RemoveFromCart(s, ItemOf("1-1"), 1).status(); }},
      {"ClearCart", [&](auto& s) { return carts_->ClearCart(s).status(); }},
      {"SaveCart", [&](auto& s) { return carts_->SaveCart(s); }},
      {"ListPurchases", [&](auto& s) { return purchases_->ListPurchases(s).status(); }},
  };
  int64_t seller = NewAccount(kSeller, "sally");
  int n = 0;
  for (const auto& [name, call] : calls) {
    std::string id = Key("s", n++);
    Open(id + "-ended");
    Add(Ref(id + "-ended", kBuyer), "1-1", 1);
    ASSERT_TRUE(sessions_->EndSession(id + "-ended").ok());
    Open(id + "-seller", kSeller, seller);
    Open(id + "-expired");
    clock_.Advance(kTimeoutMs + kSlackMs + 1);
    for (const auto& ref : {Ref(id + "-ended", kBuyer), Ref(id + "-seller", kBuyer),
                            Ref(id + "-expired", kBuyer), Ref("unknown", kBuyer)}) {
      EXPECT_EQ(call(ref).code(), StatusCode::kUnauthenticated)
          << name << " with " << ref.session_id;
    }
  }
}

TEST_P(CustomerRepositoryTest, SessionEndsNoEarlierThanTheTimeoutAfterTheLastRequest) {
  const int64_t opened = clock_.NowMs();
  SessionKey checked = Open("checked");
  SessionKey batched = Open("batched");
  SessionKey carted = Open("carted");
  SessionKey read = Open("read");
  // The last requests, at 5% of the timeout: too soon to be written.
  clock_.Advance(kTimeoutMs / 20);
  ASSERT_TRUE(sessions_->CheckSession(checked).ok());
  ASSERT_TRUE(sessions_->CheckSessions({batched})[0].ok());
  Add(carted, "1-1", 1);  // a write transaction (Authorize)
  EXPECT_EQ(CartOf(read), Lines{});
  for (const char* id : {"checked", "batched", "carted", "read"}) {
    ASSERT_EQ(Scalar(kSelectLastActive, id), opened) << id << ": not written, as designed";
  }
  // Exactly the timeout after the last request: every check lets them in,
  // and the sweeper leaves them alone.
  clock_.Advance(kTimeoutMs);
  auto swept = sessions_->DeleteExpiredSessions();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(*swept, 0);
  EXPECT_TRUE(sessions_->CheckSession(checked).ok());
  EXPECT_TRUE(sessions_->CheckSessions({batched})[0].ok());
  EXPECT_TRUE(carts_->AddToCart(carted, ItemOf("1-1"), 1, 1000).ok());
  EXPECT_TRUE(carts_->GetCart(read).ok());
}

// ... and at most the touch interval later than that.
TEST_P(CustomerRepositoryTest, SessionEndsAtMostTheTouchIntervalAfterTheTimeout) {
  SessionKey checked = Open("checked");
  SessionKey batched = Open("batched");
  SessionKey carted = Open("carted");
  SessionKey read = Open("read");
  Open("swept");
  clock_.Advance(kTimeoutMs + kSlackMs + 1);
  EXPECT_EQ(sessions_->CheckSession(checked).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(sessions_->CheckSessions({batched})[0].status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(carts_->AddToCart(carted, ItemOf("1-1"), 1, 1000).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(carts_->GetCart(read).status().code(), StatusCode::kUnauthenticated);
  auto swept = sessions_->DeleteExpiredSessions();
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  EXPECT_EQ(*swept, 5);
}

INSTANTIATE_TEST_SUITE_P(Engines, CustomerRepositoryTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return EngineName(info.param);
                         });

}  // namespace
}  // namespace mp::storage::testing
