// The purchase saga over in-memory services, one test per rule of
// docs/purchases.md ("The saga"): which steps run, in which order, with
// which arguments, and what the buyer is answered. Recovery is
// purchase_recovery_test.cc; the fakes are in purchase_saga_test_fixture.h.
// The same rules on real processes, crashes included, are
// tests/integration/purchase_test.cc and purchase_crash_test.cc.
#include "buyer_frontend/purchase_saga_test_fixture.h"

namespace mp::buyer_frontend::saga_testing {
namespace {

// The saga's steps, as docs/purchases.md draws them.

TEST_F(PurchaseSagaTest, ApprovalIsRecordedCommittedBesideTheAnswerAndGivesTheReceipt) {
  StatusOr<PurchaseReceipt> receipt = Buy("p1");
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_THAT(Steps(),
              ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 4111111111111111 3000",
                          "RecordPurchase p1", "CommitStock p1"));
  EXPECT_EQ(receipt->purchase_id, "p1");
  // By item number, whatever order the take answered in.
  EXPECT_THAT(receipt->lines,
              ElementsAre(Line("1-9", "nine", 1250, 2), Line("1-10", "ten", 500, 1)));
  EXPECT_EQ(receipt->total_cents, 3000);

  std::vector<v1::RecordPurchaseRequest> records = ledger_.records();
  ASSERT_EQ(records.size(), 1u);
  const v1::RecordPurchaseRequest& record = records[0];
  EXPECT_EQ(record.buyer_id(), kBuyer);
  EXPECT_EQ(record.clear_session_id(), "session-1");
  ASSERT_EQ(record.lines_size(), 2);
  EXPECT_EQ(record.lines(0).item_id(), "1-9");
  EXPECT_EQ(record.lines(0).seller_id(), kSeller);
  EXPECT_EQ(record.lines(0).quantity(), 2);
  EXPECT_EQ(record.lines(0).price_cents(), 1250);
  EXPECT_EQ(record.lines(1).item_id(), "1-10");

  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_COMPLETED);
  EXPECT_EQ(stock_.State("p1"), TakeState::kCommitted);
  EXPECT_EQ(stock_.Units("1-9"), 3);
  EXPECT_EQ(stock_.Units("1-10"), 4);
}

TEST_F(PurchaseSagaTest, ACompletedRepeatGetsTheFirstAnswerWithTheNames) {
  ASSERT_TRUE(Buy("p1").ok());
  journal_.Clear();

  StatusOr<PurchaseReceipt> again = Buy("p1", kDeclinedCard);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  // The recorded lines give no names: they are read again, and nothing is
  // taken or charged.
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "GetItems 1-9 1-10"));
  EXPECT_EQ(again->purchase_id, "p1");
  EXPECT_THAT(again->lines, ElementsAre(Line("1-9", "nine", 1250, 2), Line("1-10", "ten", 500, 1)));
  EXPECT_EQ(again->total_cents, 3000);
}

TEST_F(PurchaseSagaTest, ACompletedRepeatIsInItemOrderAndAnsweredWithoutNamesWhenTheyCannotBeRead) {
  v1::PurchaseAttempt done = ledger_.Pending("p1");
  done.set_state(v1::PURCHASE_COMPLETED);
  done.set_total_cents(3000);
  for (auto [item, quantity, price] : {std::tuple("1-10", 1, 500), std::tuple("1-9", 2, 1250)}) {
    v1::PurchaseLine* line = done.add_recorded();
    line->set_item_id(item);
    line->set_seller_id(kSeller);
    line->set_quantity(quantity);
    line->set_price_cents(price);
  }
  ledger_.Put(done);
  stock_.faults.Next("GetItems", Unavailable("product DB down"));

  StatusOr<PurchaseReceipt> again = Buy("p1");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "GetItems 1-10 1-9"));
  EXPECT_THAT(again->lines, ElementsAre(Line("1-9", "", 1250, 2), Line("1-10", "", 500, 1)));
  EXPECT_EQ(again->total_cents, 3000);
}

TEST_F(PurchaseSagaTest, AFailedRepeatGetsTheSameError) {
  struct Case {
    std::string reason;
    StatusCode code;
    int http;
  };
  for (const Case& c : {Case{"payment_declined", StatusCode::kFailedPrecondition, 402},
                        Case{"insufficient_quantity", StatusCode::kAborted, 409},
                        Case{"not_found", StatusCode::kNotFound, 404},
                        Case{"invalid_argument", StatusCode::kInvalidArgument, 400},
                        Case{"purchase_interrupted", StatusCode::kFailedPrecondition, 400}}) {
    SCOPED_TRACE(c.reason);
    journal_.Clear();
    v1::PurchaseAttempt failed = ledger_.Pending("p-" + c.reason);
    failed.set_state(v1::PURCHASE_FAILED);
    failed.set_failure_reason(c.reason);
    failed.set_failure_message("as the first time");
    ledger_.Put(failed);

    StatusOr<PurchaseReceipt> again = Buy("p-" + c.reason);
    EXPECT_TRUE(HasError(again, c.code, c.reason));
    EXPECT_EQ(again.status().message(), "as the first time");
    EXPECT_EQ(ToHttp(again.status()), c.http);
    EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p-" + c.reason));
  }
}

TEST_F(PurchaseSagaTest, ARefusedBeginIsTheAnswerAndNothingElseRuns) {
  Status busy_cart(StatusCode::kAborted, "a purchase of this cart is running",
                   "purchase_in_progress");
  ledger_.faults.Next("BeginPurchase", busy_cart);
  StatusOr<PurchaseReceipt> busy = Buy("p1");
  EXPECT_TRUE(HasError(busy, StatusCode::kAborted, "purchase_in_progress"));
  EXPECT_EQ(ToHttp(busy.status()), 409);

  ledger_.SetCart({});
  StatusOr<PurchaseReceipt> empty = Buy("p2");
  EXPECT_TRUE(HasError(empty, StatusCode::kFailedPrecondition, "cart_empty"));
  EXPECT_EQ(ToHttp(empty.status()), 400);

  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "BeginPurchase p2"));
}

TEST_F(PurchaseSagaTest, ATakeWithAnUnknownOutcomeUndoesNothingAndLeavesTheAttemptPending) {
  for (Status lost :
       {Unavailable("product DB down"), Status(StatusCode::kDeadlineExceeded, "deadline passed")}) {
    SCOPED_TRACE(lost.ToString());
    journal_.Clear();
    stock_.faults.Next("TakeStock", lost);
    StatusOr<PurchaseReceipt> r = Buy("p1");
    EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
    EXPECT_EQ(r.status().message(), "the purchase could not finish; retry");
    EXPECT_EQ(ToHttp(r.status()), 503);
    EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1"));
    EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
    EXPECT_FALSE(payment_.Decision("p1").has_value());
  }
}

TEST_F(PurchaseSagaTest, ARefusedTakeProbesReleasesAndFails) {
  stock_.AddItem("1-9", "nine", 1250, 1);  // the cart wants 2
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kAborted, "insufficient_quantity"));
  EXPECT_EQ(r.status().message(), "item 1-9 has only 1 units left");
  EXPECT_EQ(ToHttp(r.status()), 409);
  // The probe (card "0", amount 1: the attempt has no total yet) fixes the
  // charge as declined before any stock goes back.
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1",
                                   "ReleaseStock p1", "FailPurchase p1 insufficient_quantity"));
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_FAILED);
  ASSERT_TRUE(payment_.Decision("p1").has_value());
  EXPECT_FALSE(payment_.Decision("p1")->approved);
  EXPECT_EQ(stock_.Units("1-10"), 5);
}

TEST_F(PurchaseSagaTest, ATakeOfAnUnknownItemIsUndoneAsNotFound) {
  ledger_.SetCart({{"1-99", 1}});
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kNotFound));
  EXPECT_EQ(ToHttp(r.status()), 404);
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1",
                                   "ReleaseStock p1", "FailPurchase p1 not_found"));
}

TEST_F(PurchaseSagaTest, ATakeRefusedAfterAnUndoFinishesThatUndoForItsReason) {
  struct Case {
    std::string stored;  // the decision the payment service holds
    std::string reason;
    int http;
  };
  for (const Case& c : {Case{"declined", "payment_declined", 402},
                        Case{"invalid_card", "purchase_interrupted", 400}}) {
    SCOPED_TRACE(c.stored);
    journal_.Clear();
    const std::string id = "p-" + c.stored;
    // An earlier try got as far as giving the stock back.
    stock_.PutTake(id, TakeState::kReleased, {{"1-9", 2}, {"1-10", 1}});
    payment_.Decide(id, false, c.stored);

    StatusOr<PurchaseReceipt> r = Buy(id);
    EXPECT_TRUE(HasError(r, StatusCode::kFailedPrecondition, c.reason));
    EXPECT_EQ(ToHttp(r.status()), c.http);
    EXPECT_THAT(Steps(),
                ElementsAre("BeginPurchase " + id, "TakeStock " + id, "Charge " + id + " 0 1",
                            "ReleaseStock " + id, "FailPurchase " + id + " " + c.reason));
    EXPECT_EQ(ledger_.Get(id).failure_reason(), c.reason);
  }
  EXPECT_EQ(stock_.Units("1-9"), 5);
}

TEST_F(PurchaseSagaTest, ATakeRefusedAfterAnUndoOfAnApprovedChargeIsInconsistent) {
  stock_.PutTake("p1", TakeState::kReleased, {{"1-9", 2}, {"1-10", 1}});
  payment_.Decide("p1", true, "approved");
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kInternal));
  EXPECT_EQ(r.status().message(), "purchase p1 is inconsistent");
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1"));
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
}

TEST_F(PurchaseSagaTest, ATotalPastTheMaximumIsUndoneBeforeAnyCharge) {
  stock_.AddItem("1-9", "nine", kMaxOrderTotalCents, 5);  // two of them pass it
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kInvalidArgument));
  EXPECT_EQ(ToHttp(r.status()), 400);
  EXPECT_THAT(r.status().message(), ::testing::StartsWith("total: "));
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1",
                                   "ReleaseStock p1", "FailPurchase p1 invalid_argument"));
  EXPECT_EQ(stock_.Units("1-9"), 5);
}

TEST_F(PurchaseSagaTest, AChargeRefusedAsInvalidIsNotRetriedAndIsUndone) {
  payment_.faults.Next("Charge", Status(StatusCode::kInvalidArgument, "amount: too large"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kInvalidArgument));
  EXPECT_EQ(r.status().message(), "amount: too large");
  EXPECT_THAT(Steps(),
              ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 4111111111111111 3000",
                          "Charge p1 0 1", "ReleaseStock p1", "FailPurchase p1 invalid_argument"));
  EXPECT_EQ(stock_.State("p1"), TakeState::kReleased);
}

TEST_F(PurchaseSagaTest, AChargeWithoutAnswerIsTriedAgainWithBackoffThenLeftPending) {
  for (int i = 0; i < 3; ++i) payment_.faults.Next("Charge", Unavailable("payment down"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
  EXPECT_EQ(r.status().message(), "the payment service did not answer; retry");
  EXPECT_EQ(ToHttp(r.status()), 503);
  const std::string charge = "Charge p1 4111111111111111 3000";
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", charge, "Sleep 100", charge,
                                   "Sleep 200", charge));
  // The charge may have happened: nothing is given back.
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
  EXPECT_EQ(stock_.State("p1"), TakeState::kTaken);
}

TEST_F(PurchaseSagaTest, AChargeAnsweredOnItsSecondTryGoesOn) {
  payment_.faults.Next("Charge", Unavailable("payment down"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string charge = "Charge p1 4111111111111111 3000";
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", charge, "Sleep 100", charge,
                                   "RecordPurchase p1", "CommitStock p1"));
}

TEST_F(PurchaseSagaTest, ADeclineReleasesAndFailsWithoutAProbe) {
  StatusOr<PurchaseReceipt> r = Buy("p1", kDeclinedCard);
  EXPECT_TRUE(HasError(r, StatusCode::kFailedPrecondition, kPaymentDeclined));
  EXPECT_EQ(r.status().message(), "the card was declined: declined");
  EXPECT_EQ(ToHttp(r.status()), 402);
  EXPECT_THAT(Steps(),
              ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 4000000000000002 3000",
                          "ReleaseStock p1", "FailPurchase p1 payment_declined"));
  EXPECT_EQ(stock_.Units("1-9"), 5);
  EXPECT_EQ(stock_.Units("1-10"), 5);
}

TEST_F(PurchaseSagaTest, ARecordRefusedAsNotPendingIsInconsistentAndMovesNothingBack) {
  ledger_.faults.Next("RecordPurchase",
                      Status(StatusCode::kFailedPrecondition, "purchase p1 is no longer pending",
                             "purchase_not_pending"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kInternal));
  EXPECT_EQ(r.status().message(), "purchase p1 is inconsistent");
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1",
                                   "Charge p1 4111111111111111 3000", "RecordPurchase p1"));
  EXPECT_EQ(stock_.State("p1"), TakeState::kTaken);
}

TEST_F(PurchaseSagaTest, ARecordWithoutAnswerIsUnavailableAndMovesNothingBack) {
  ledger_.faults.Next("RecordPurchase", Unavailable("customer DB down"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
  EXPECT_EQ(r.status().message(), "the purchase is paid and will be recorded shortly");
  EXPECT_EQ(ToHttp(r.status()), 503);
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1",
                                   "Charge p1 4111111111111111 3000", "RecordPurchase p1"));
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
  EXPECT_EQ(stock_.State("p1"), TakeState::kTaken);
}

TEST_F(PurchaseSagaTest, AFailedCommitStillGivesTheReceiptAndIsCounted) {
  stock_.faults.Next("CommitStock", Unavailable("product DB down"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->total_cents, 3000);
  EXPECT_THAT(Steps(),
              ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 4111111111111111 3000",
                          "RecordPurchase p1", "CommitStock p1"));
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_COMPLETED);
  // Held, never released: the units stay out of stock, as sold.
  EXPECT_EQ(stock_.State("p1"), TakeState::kTaken);
  EXPECT_EQ(stock_.Units("1-9"), 3);
  EXPECT_EQ(Saga().stock_commit_failures(), 1u);
  ledger_.SetCart({{"1-10", 1}});
  ASSERT_TRUE(Buy("p2").ok());
  EXPECT_EQ(Saga().stock_commit_failures(), 1u);
}

TEST_F(PurchaseSagaTest, AnUndoWhoseProbeFindsAnApprovalTakesAgainAndCompletes) {
  // Another request for p1 was charged; this one's take was refused.
  payment_.Decide("p1", true, "approved");
  stock_.faults.Next("TakeStock", InsufficientQuantity("item 1-9 has only 0 units left"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1",
                                   "TakeStock p1", "RecordPurchase p1", "CommitStock p1"));
  EXPECT_EQ(r->total_cents, 3000);
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_COMPLETED);
}

TEST_F(PurchaseSagaTest, AnUndoWhoseProbeFindsAnApprovalButCannotTakeIsUnavailable) {
  payment_.Decide("p1", true, "approved");
  stock_.faults.Next("TakeStock", InsufficientQuantity("item 1-9 has only 0 units left"));
  stock_.faults.Next("TakeStock", Unavailable("product DB down"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
  EXPECT_EQ(r.status().message(), "the purchase is paid and will be recorded shortly");
  EXPECT_THAT(Steps(),
              ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1", "TakeStock p1"));
}

TEST_F(PurchaseSagaTest, AnUndoWhoseProbeGetsNoAnswerGivesNothingBack) {
  stock_.AddItem("1-9", "nine", 1250, 1);
  for (int i = 0; i < 3; ++i) payment_.faults.Next("Charge", Unavailable("payment down"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
  EXPECT_EQ(r.status().message(), "the purchase could not finish; retry");
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1", "Sleep 100",
                                   "Charge p1 0 1", "Sleep 200", "Charge p1 0 1"));
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
}

TEST_F(PurchaseSagaTest, AFailedReleaseIsUnavailableAndLeavesTheAttemptPending) {
  stock_.faults.Next("ReleaseStock", Unavailable("product DB down"));
  StatusOr<PurchaseReceipt> r = Buy("p1", kDeclinedCard);
  EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
  EXPECT_EQ(r.status().message(), "the purchase could not finish; retry");
  EXPECT_EQ(ToHttp(r.status()), 503);
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1",
                                   "Charge p1 4000000000000002 3000", "ReleaseStock p1"));
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
  EXPECT_EQ(stock_.State("p1"), TakeState::kTaken);
}

// Recovery.

}  // namespace
}  // namespace mp::buyer_frontend::saga_testing
