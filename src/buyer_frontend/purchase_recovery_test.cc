// Purchase recovery over in-memory services (docs/purchases.md,
// "Recovery"): which attempts a pass finds, how it settles each, how it
// pages and how it counts what it could not settle.
#include "buyer_frontend/purchase_saga_test_fixture.h"

namespace mp::buyer_frontend::saga_testing {
namespace {

TEST_F(PurchaseSagaTest, RecoveryLooksForAttemptsPendingLongerThanTheRecoveryAge) {
  StatusOr<int> settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 0);
  clock_.Advance(5'000);
  ASSERT_TRUE(Saga().RecoverOnce().ok());

  std::vector<v1::ListPendingPurchasesRequest> lists = ledger_.lists();
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[0].started_before_ms(), 1'700'000'000'000 - 60'000);
  EXPECT_EQ(lists[1].started_before_ms(), 1'700'000'000'000 + 5'000 - 60'000);
  EXPECT_EQ(lists[0].limit(), 50);
  EXPECT_EQ(lists[0].after_created_ms(), 0);
  EXPECT_EQ(lists[0].after_purchase_id(), "");
}

TEST_F(PurchaseSagaTest, RecoveryCompletesApprovedChargesAndUndoesTheOthers) {
  // Crashed after the charge; after a declined charge's release; after the
  // take, before any charge; and one too young to settle.
  Stale("approved", 1);
  stock_.PutTake("approved", TakeState::kTaken, {{"1-9", 2}, {"1-10", 1}});
  payment_.Decide("approved", true, "approved");
  Stale("declined", 2);
  stock_.PutTake("declined", TakeState::kReleased, {{"1-9", 2}, {"1-10", 1}});
  payment_.Decide("declined", false, "declined");
  Stale("taken", 3);
  stock_.PutTake("taken", TakeState::kTaken, {{"1-9", 2}, {"1-10", 1}});
  ledger_.Put(ledger_.Pending("young", clock_.NowMs() - 1'000));

  StatusOr<int> settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 3);
  EXPECT_EQ(Saga().recovered(), 3u);
  EXPECT_EQ(Saga().recovery_failures(), 0u);
  EXPECT_THAT(Steps(), ElementsAre("ListPendingPurchases",
                                   // forward: the repeated take answers the lines taken before
                                   "Charge approved 0 1", "TakeStock approved",
                                   "RecordPurchase approved", "CommitStock approved",
                                   // back, for the stored decision's reason
                                   "Charge declined 0 1", "ReleaseStock declined",
                                   "FailPurchase declined payment_declined",
                                   // back: the probe's decline is the lock
                                   "Charge taken 0 1", "ReleaseStock taken",
                                   "FailPurchase taken purchase_interrupted"));
  EXPECT_EQ(ledger_.Get("approved").state(), v1::PURCHASE_COMPLETED);
  EXPECT_EQ(ledger_.Get("approved").total_cents(), 3000);
  EXPECT_EQ(stock_.State("approved"), TakeState::kCommitted);
  EXPECT_EQ(ledger_.Get("declined").failure_reason(), "payment_declined");
  EXPECT_EQ(ledger_.Get("taken").failure_reason(), "purchase_interrupted");
  EXPECT_EQ(stock_.State("taken"), TakeState::kReleased);
  ASSERT_TRUE(payment_.Decision("taken").has_value());
  EXPECT_FALSE(payment_.Decision("taken")->approved);
  EXPECT_EQ(ledger_.Get("young").state(), v1::PURCHASE_PENDING);
  // Only "approved" keeps its units.
  EXPECT_EQ(stock_.Units("1-9"), 3);
  EXPECT_EQ(stock_.Units("1-10"), 4);
}

TEST_F(PurchaseSagaTest, RecoveryPagesPastFiftyAndGoesOnPastAttemptsThatFail) {
  // 120 attempts, the first 110 of which cannot be released: without the
  // cursor, every page would be those that fail.
  std::vector<std::string> ids;
  for (int i = 0; i < 120; ++i) {
    std::string digits = std::to_string(i);
    std::string id = "p";
    id.append(3 - digits.size(), '0').append(digits);
    ids.push_back(id);
    Stale(id, i / 2);  // two at each time: the cursor needs the id too
    if (i < 110) stock_.faults.Always("ReleaseStock", id, Unavailable("product DB down"));
  }

  StatusOr<int> settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 10);
  EXPECT_EQ(Saga().recovered(), 10u);
  EXPECT_EQ(Saga().recovery_failures(), 110u);
  std::vector<v1::ListPendingPurchasesRequest> lists = ledger_.lists();
  ASSERT_EQ(lists.size(), 3u);
  const v1::PurchaseAttempt p049 = ledger_.Get("p049");
  const v1::PurchaseAttempt p099 = ledger_.Get("p099");
  EXPECT_EQ(lists[1].after_created_ms(), p049.created_ms());
  EXPECT_EQ(lists[1].after_purchase_id(), "p049");
  EXPECT_EQ(lists[2].after_created_ms(), p099.created_ms());
  EXPECT_EQ(lists[2].after_purchase_id(), "p099");
  for (const v1::ListPendingPurchasesRequest& list : lists) {
    EXPECT_EQ(list.started_before_ms(), lists[0].started_before_ms());
  }
  std::vector<std::string> steps = Steps();
  for (const std::string& id : ids) {
    EXPECT_EQ(std::count(steps.begin(), steps.end(), "Charge " + id + " 0 1"), 1) << id;
  }
  EXPECT_EQ(ledger_.Get("p000").state(), v1::PURCHASE_PENDING);
  EXPECT_EQ(ledger_.Get("p109").state(), v1::PURCHASE_PENDING);
  EXPECT_EQ(ledger_.Get("p110").state(), v1::PURCHASE_FAILED);

  // Left pending for the next pass, which settles them once the product DB
  // is back.
  stock_.faults.Heal();
  settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 110);
  EXPECT_EQ(Saga().recovered(), 120u);
  EXPECT_EQ(Saga().recovery_failures(), 110u);
  EXPECT_EQ(ledger_.Get("p000").failure_reason(), "purchase_interrupted");
}

TEST_F(PurchaseSagaTest, RecoveryCountsAnApprovedChargeWhoseStockCannotBeTakenAsAFailure) {
  Stale("approved");
  payment_.Decide("approved", true, "approved");
  stock_.faults.Next("TakeStock", Unavailable("product DB down"));
  StatusOr<int> settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 0);
  EXPECT_EQ(Saga().recovery_failures(), 1u);
  EXPECT_THAT(Steps(),
              ElementsAre("ListPendingPurchases", "Charge approved 0 1", "TakeStock approved"));
  EXPECT_EQ(ledger_.Get("approved").state(), v1::PURCHASE_PENDING);
}

// An undo whose last step got no answer (a deadline, not only
// kUnavailable) left the attempt pending: it is a failure to settle, not a
// settlement, and the next pass settles it.
TEST_F(PurchaseSagaTest, RecoveryCountsAnUndoWhoseFailGotNoAnswerAsAFailure) {
  Stale("taken");
  stock_.PutTake("taken", TakeState::kTaken, {{"1-9", 2}});
  ledger_.faults.Next("FailPurchase", Status(StatusCode::kDeadlineExceeded, "too slow"));
  StatusOr<int> settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 0);
  EXPECT_EQ(Saga().recovered(), 0u);
  EXPECT_EQ(Saga().recovery_failures(), 1u);
  EXPECT_EQ(ledger_.Get("taken").state(), v1::PURCHASE_PENDING);

  settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 1);
  EXPECT_EQ(Saga().recovered(), 1u);
  EXPECT_EQ(ledger_.Get("taken").failure_reason(), "purchase_interrupted");
}

TEST_F(PurchaseSagaTest, RecoveryThatCannotListReturnsTheError) {
  Stale("p1");
  ledger_.faults.Next("ListPendingPurchases", Unavailable("customer DB down"));
  EXPECT_TRUE(HasError(Saga().RecoverOnce(), StatusCode::kUnavailable));
  EXPECT_THAT(Steps(), ElementsAre("ListPendingPurchases"));
  EXPECT_EQ(Saga().recovery_failures(), 0u);
}

}  // namespace
}  // namespace mp::buyer_frontend::saga_testing
