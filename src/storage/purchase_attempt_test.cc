// The customer DB's side of the purchase saga (docs/purchases.md), on both
// engines: purchase records and history, one purchase in flight per cart, a
// record only for a pending attempt, bought units leaving the cart, cart and
// total limits, and recovery's paging through pending attempts.
#include <gtest/gtest.h>

#include <latch>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/types.h"
#include "storage/customer_repository_test_fixture.h"

namespace mp::storage::testing {
namespace {

class PurchaseAttemptTest : public CustomerRepositoryTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(CustomerRepositoryTest::SetUp());
    seller_ = NewAccount(kSeller, "sam");
    session_ = Open("main");
  }

  // The record the saga sends once the charge is approved: the attempt's
  // lines at `price` each.
  PurchaseRecord Record(const PurchaseAttempt& attempt, int64_t price = 100) {
    PurchaseRecord r{.purchase_id = attempt.purchase_id,
                     .buyer_id = BuyerId(buyer_),
                     .clear_session_id = attempt.session_id};
    for (const CartLine& l : attempt.lines) {
      r.lines.push_back({l.item_id, SellerId(seller_), l.quantity, price});
    }
    return r;
  }

  int64_t seller_ = 0;
  SessionKey session_;
};

TEST_P(PurchaseAttemptTest, RecordsPurchaseCountersAndClearsCarts) {
  int64_t s1 = NewAccount(kSeller, "s1");
  int64_t s2 = NewAccount(kSeller, "s2");
  SessionKey s = Open("s1");
  Add(s, "1-1", 2);
  Add(s, "1-2", 3);
  ASSERT_TRUE(carts_->SaveCart(s).ok());
  auto response = purchases_->RecordPurchase(
      Purchase("p1", buyer_,
               {Line("1-1", s1, 2, 150), Line("1-2", s2, 3, 99), Line("1-3", s1, 1, 5)}, "s1"));
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->purchase_id, "p1");
  EXPECT_EQ(response->time_ms, clock_.NowMs());
  EXPECT_EQ(Units(kBuyer, buyer_), 6);
  EXPECT_EQ(Units(kSeller, s1), 3);
  EXPECT_EQ(Units(kSeller, s2), 3);
  EXPECT_EQ(CartOf(s), Lines{});
  EXPECT_EQ(CartOf(Open("s2")), Lines{}) << "the saved cart is cleared too";
}

TEST_P(PurchaseAttemptTest, RecordPurchaseIsIdempotentOnPurchaseId) {
  int64_t seller = NewAccount(kSeller, "sally");
  auto request = Purchase("p1", buyer_, {Line("1-1", seller, 2, 150)});
  auto first = purchases_->RecordPurchase(request);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  clock_.Advance(5000);
  SessionKey s = Open("s1");
  Add(s, "7-7", 1);
  auto repeat = request;
  repeat.clear_session_id = "s1";
  auto again = purchases_->RecordPurchase(repeat);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->purchase_id, "p1");
  EXPECT_EQ(again->time_ms, first->time_ms);
  EXPECT_EQ(Units(kBuyer, buyer_), 2);
  EXPECT_EQ(Units(kSeller, seller), 2);
  EXPECT_EQ(purchases_->ListPurchases(s)->size(), 1u);
  EXPECT_EQ(CartOf(s), (Lines{{"7-7", 1}})) << "a repeat clears nothing";
}

TEST_P(PurchaseAttemptTest, ListsOwnPurchasesNewestFirst) {
  int64_t seller = NewAccount(kSeller, "sally");
  int64_t other = NewAccount(kBuyer, "carol");
  const int64_t t1 = clock_.NowMs();
  ASSERT_TRUE(purchases_
                  ->RecordPurchase(Purchase(
                      "pa", buyer_, {Line("2-1", seller, 1, 500), Line("1-1", seller, 2, 150)}))
                  .ok());
  clock_.Advance(1000);
  ASSERT_TRUE(
      purchases_->RecordPurchase(Purchase("pb", other, {Line("1-1", seller, 4, 150)})).ok());
  ASSERT_TRUE(
      purchases_->RecordPurchase(Purchase("pc", buyer_, {Line("1-1", seller, 1, 175)})).ok());
  const auto s1 = Open("s1");
  auto list = purchases_->ListPurchases(s1);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  struct Want {
    const char* purchase;
    const char* item;
    int64_t quantity, price, time;
  };
  const Want want[] = {
      {"pc", "1-1", 1, 175, t1 + 1000}, {"pa", "1-1", 2, 150, t1}, {"pa", "2-1", 1, 500, t1}};
  ASSERT_EQ(list->size(), std::size(want));
  for (size_t i = 0; i < std::size(want); ++i) {
    const auto& p = (*list)[i];
    EXPECT_EQ(p.purchase_id, want[i].purchase) << i;
    EXPECT_EQ(p.item_id.ToString(), want[i].item) << i;
    EXPECT_EQ(p.quantity, want[i].quantity) << i;
    EXPECT_EQ(p.price_cents, want[i].price) << i;
    EXPECT_EQ(p.time_ms, want[i].time) << i;
  }
  EXPECT_EQ(purchases_->ListPurchases(Open("s2", kBuyer, other))->size(), 1u);
  // Pages: the second and third lines, then nothing past the end.
  auto page = purchases_->ListPurchases(s1, 2, 1);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].purchase_id, "pa");
  EXPECT_EQ((*page)[1].item_id.ToString(), "2-1");
  EXPECT_EQ(purchases_->ListPurchases(s1, 10, 3)->size(), 0u);
  // A page past the end of an ended or expired session is still refused.
  ASSERT_TRUE(sessions_->EndSession("s1").ok());
  EXPECT_EQ(purchases_->ListPurchases(s1, 10, 3).status().code(), StatusCode::kUnauthenticated);
  const auto s3 = Open("s3");
  clock_.Advance(kTimeoutMs + kSlackMs + 1);
  EXPECT_EQ(purchases_->ListPurchases(s3, 10, 3).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(purchases_->ListPurchases(s3).status().code(), StatusCode::kUnauthenticated);
}

TEST_P(PurchaseAttemptTest, SumsPurchasedQuantityPerBuyerAndItem) {
  int64_t seller = NewAccount(kSeller, "sally");
  int64_t other = NewAccount(kBuyer, "carol");
  ASSERT_TRUE(purchases_
                  ->RecordPurchase(Purchase(
                      "p1", buyer_, {Line("1-1", seller, 2, 100), Line("1-2", seller, 1, 100)}))
                  .ok());
  ASSERT_TRUE(
      purchases_->RecordPurchase(Purchase("p2", buyer_, {Line("1-1", seller, 3, 100)})).ok());
  ASSERT_TRUE(
      purchases_->RecordPurchase(Purchase("p3", other, {Line("1-1", seller, 7, 100)})).ok());
  struct Case {
    int64_t buyer;
    const char* item;
    int64_t quantity;
  };
  for (const Case& c : {Case{buyer_, "1-1", 5}, Case{buyer_, "1-2", 1}, Case{buyer_, "1-3", 0},
                        Case{other, "1-1", 7}, Case{other, "1-2", 0}, Case{999999, "1-1", 0}}) {
    auto q = purchases_->GetPurchasedQuantity(BuyerId(c.buyer), ItemOf(c.item));
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    EXPECT_EQ(*q, c.quantity) << c.buyer << " " << c.item;
  }
}

// docs/contract.md §3: a session "never ends sooner than the timeout after its last
// request". A request within the touch interval of the last write leaves
// last_active as it is; every check must still count from that request.
TEST_P(PurchaseAttemptTest, ACartHasOnePurchaseInFlight) {
  Add(session_, "1-1", 2);
  auto first = purchases_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->state, PurchaseState::kPending);

  auto second = purchases_->BeginPurchase(session_, "p2");
  EXPECT_EQ(second.status().code(), StatusCode::kAborted) << second.status().ToString();
  EXPECT_EQ(second.status().reason(), "purchase_in_progress");
  auto again = purchases_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(again.ok()) << "the same purchase id answers its attempt";
  EXPECT_EQ(again->purchase_id, "p1");

  // Another session of the same buyer has a cart of its own.
  SessionKey other = Open("s2");
  Add(other, "1-2", 1);
  EXPECT_TRUE(purchases_->BeginPurchase(other, "p3").ok());

  // Once the first is undone, the cart may be bought again.
  ASSERT_TRUE(purchases_->FailPurchase("p1", "payment_declined", "declined").ok());
  auto retry = purchases_->BeginPurchase(session_, "p2");
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_EQ(retry->state, PurchaseState::kPending);
}

// Four (here eight) purchase requests of one cart at the same moment, each
// with its own purchase id: exactly one attempt starts.
TEST_P(PurchaseAttemptTest, ConcurrentBeginsOfOneCartStartOneAttempt) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 4; ++round) {
    SessionKey session = Open(Key("race", round));
    Add(session, "1-1", 2);
    std::vector<StatusOr<PurchaseAttempt>> results(kThreads, Internal("not run"));
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i] = purchases_->BeginPurchase(session, Key(Key("r", round) + "-", i));
      });
    }
    for (std::thread& t : threads) t.join();
    int started = 0;
    for (const auto& r : results) {
      if (r.ok()) {
        ++started;
      } else {
        EXPECT_EQ(r.status().reason(), "purchase_in_progress") << r.status().ToString();
      }
    }
    EXPECT_EQ(started, 1) << "round " << round;
  }
}

TEST_P(PurchaseAttemptTest, RecordRefusesAnAttemptThatWasUndone) {
  Add(session_, "1-1", 2);
  auto attempt = purchases_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(attempt.ok());
  ASSERT_TRUE(purchases_->FailPurchase("p1", "insufficient_quantity", "gone").ok());
  auto recorded = purchases_->RecordPurchase(Record(*attempt));
  EXPECT_EQ(recorded.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(recorded.status().reason(), "purchase_not_pending");
  EXPECT_EQ(Units(kBuyer, buyer_), 0);
  EXPECT_EQ(Units(kSeller, seller_), 0);
  EXPECT_EQ(CartOf(session_), (Lines{{"1-1", 2}})) << "an undone purchase keeps the cart";
  auto failed = purchases_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state, PurchaseState::kFailed);
}

// What was bought leaves the cart; what was added while the purchase ran
// stays, to be bought next.
TEST_P(PurchaseAttemptTest, ALineAddedDuringAPurchaseStaysInTheCart) {
  Add(session_, "1-1", 2);
  Add(session_, "1-3", 1);
  auto attempt = purchases_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(attempt.ok());
  Add(session_, "1-2", 4);  // a new line
  Add(session_, "1-1", 1);  // more units of a line being bought
  auto recorded = purchases_->RecordPurchase(Record(*attempt));
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(CartOf(session_), (Lines{{"1-1", 1}, {"1-2", 4}}));
  EXPECT_EQ(Units(kBuyer, buyer_), 3);
  // The repeat changes nothing.
  ASSERT_TRUE(purchases_->RecordPurchase(Record(*attempt)).ok());
  EXPECT_EQ(CartOf(session_), (Lines{{"1-1", 1}, {"1-2", 4}}));
  EXPECT_EQ(Units(kBuyer, buyer_), 3);
}

TEST_P(PurchaseAttemptTest, ACartHoldsAtMostTheDocumentedNumberOfLines) {
  for (int i = 1; i <= kMaxCartLines; ++i) Add(session_, Key("1-", i), 1);
  auto more = carts_->AddToCart(session_, ItemOf("2-1"), 1, 1000);
  EXPECT_EQ(more.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(more.status().reason(), "cart_full");
  auto units = carts_->AddToCart(session_, ItemOf("1-1"), 1, 1000);
  ASSERT_TRUE(units.ok()) << "more units of a line already there: " << units.status().ToString();
  EXPECT_EQ(units->lines.size(), kMaxCartLines);
}

TEST_P(PurchaseAttemptTest, RecordRefusesATotalPastTheMaximum) {
  Add(session_, "1-1", 2);
  auto attempt = purchases_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(attempt.ok());
  auto recorded = purchases_->RecordPurchase(Record(*attempt, kMaxPriceCents));
  EXPECT_EQ(recorded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Units(kBuyer, buyer_), 0);
}

// Recovery pages through every pending attempt, oldest first, ties broken
// by id, without skipping or repeating one.
TEST_P(PurchaseAttemptTest, PendingAttemptsPageByCursor) {
  std::vector<std::string> begun;
  for (int i = 0; i < 7; ++i) {
    SessionKey s = Open(Key("page", i));
    Add(s, "1-1", 1);
    std::string id = Key("q", 9 - i);  // ids against time order
    ASSERT_TRUE(purchases_->BeginPurchase(s, id).ok());
    begun.push_back(id);
    if (i % 2 == 1) clock_.Advance(10);  // pairs share a created_ms
  }
  clock_.Advance(1000);
  std::vector<std::string> seen;
  int64_t after_ms = 0;
  std::string after_id;
  for (int page = 0; page < 10; ++page) {
    auto attempts = purchases_->ListPendingPurchases(clock_.NowMs(), 3, after_ms, after_id);
    ASSERT_TRUE(attempts.ok()) << attempts.status().ToString();
    for (const auto& a : *attempts) seen.push_back(a.purchase_id);
    if (attempts->size() < 3) break;
    after_ms = attempts->back().created_ms;
    after_id = attempts->back().purchase_id;
  }
  // Within a created_ms, by id: q9,q8 share one; q7,q6 the next; ...
  EXPECT_EQ(seen, (std::vector<std::string>{"q8", "q9", "q6", "q7", "q4", "q5", "q3"}));
}

INSTANTIATE_TEST_SUITE_P(Engines, PurchaseAttemptTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& info) { return EngineName(info.param); });

}  // namespace
}  // namespace mp::storage::testing
