// The fault test's checker on made-up journals and databases: it must flag
// each kind of lost write and broken counter, and accept what a write of
// unknown outcome may or may not have done.
#include "fault_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bench/workload.h"
#include "common/password.h"

namespace mp::faults {
namespace {

using integration::Ledger;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kSeller = 7;
constexpr int64_t kBuyer = 9;

JournalEntry Write(std::string call, std::string result, std::string item = "") {
  JournalEntry e;
  e.client =
      call == "RegisterItemForSale" || call == "UpdateUnitsForSale" || call == "ChangeItemPrice"
          ? "s0"
          : "b0";
  e.user = e.client == "s0" ? kSeller : kBuyer;
  e.call = std::move(call);
  e.result = std::move(result);
  e.item = std::move(item);
  return e;
}

JournalEntry Restock(std::string result, int64_t units = 10) {
  JournalEntry e = Write("RegisterItemForSale", std::move(result), "1-1");
  e.units = units;
  return e;
}

JournalEntry Purchase(std::string result, std::string key, std::map<std::string, int64_t> cart,
                      int64_t total = -1) {
  JournalEntry e = Write("MakePurchase", std::move(result));
  e.key = key;
  e.cart = std::move(cart);
  e.has_cart = true;
  if (e.result == "ok") {
    e.purchase_id = DeriveId(std::to_string(kBuyer), key);
    e.total = total;
  }
  return e;
}

// One seller with one item (1-1, from set-up) at 5.00, one buyer.
class FaultCheckTest : public ::testing::Test {
 protected:
  FaultCheckTest() { shelf_.items["1-1"] = {kSeller, 500, bench::kNewItemUnits, 0, 0}; }

  // Records a completed purchase of `units` of 1-1 under `key`.
  std::string Bought(const std::string& key, int64_t units) {
    std::string id = DeriveId(std::to_string(kBuyer), key);
    ledger_.attempts[id] = {kBuyer, 2, "", units * 500};
    ledger_.lines.push_back({id, kBuyer, "1-1", kSeller, units, 500});
    ledger_.takes.push_back({id, "1-1", units, 3});
    shelf_.items["1-1"].quantity -= units;
    return id;
  }

  std::vector<std::string> Check() const { return CheckJournal(journal_, ledger_, shelf_, 1); }

  std::vector<JournalEntry> journal_;
  Ledger ledger_;
  Shelf shelf_;
};

TEST_F(FaultCheckTest, AcceptsWhatTheAcknowledgedWritesDid) {
  journal_.push_back(Restock("ok"));
  shelf_.items["1-1"].quantity += 10;
  journal_.push_back(Purchase("ok", "k1", {{"1-1", 2}}, 1000));
  Bought("k1", 2);
  JournalEntry vote = Write("ProvideFeedback", "ok", "1-1");
  vote.vote = "up";
  journal_.push_back(vote);
  shelf_.votes[{kBuyer, "1-1"}] = true;
  shelf_.items["1-1"].up = 1;
  shelf_.ratings[kSeller] = {1, 0};
  EXPECT_THAT(Check(), IsEmpty());
}

TEST_F(FaultCheckTest, FlagsALostRestockAndALostWithdrawal) {
  journal_.push_back(Restock("ok"));
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("item 1-1")));
  journal_.push_back(Write("UpdateUnitsForSale", "ok", "1-1"));
  journal_.back().units = -1;
  shelf_.items["1-1"].quantity += 10;
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("item 1-1")));
}

TEST_F(FaultCheckTest, AWriteOfUnknownOutcomeMayHaveHappenedOrNot) {
  journal_.push_back(Restock("unknown"));
  EXPECT_THAT(Check(), IsEmpty());
  shelf_.items["1-1"].quantity += 10;
  EXPECT_THAT(Check(), IsEmpty());
  shelf_.items["1-1"].quantity += 10;  // but not twice
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("item 1-1")));
}

TEST_F(FaultCheckTest, AWriteThatWasNotSentDidNotHappen) {
  journal_.push_back(Restock("not_sent"));
  shelf_.items["1-1"].quantity += 10;
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("item 1-1")));
}

TEST_F(FaultCheckTest, FlagsAnAcknowledgedPurchaseThatIsNotRecorded) {
  journal_.push_back(Purchase("ok", "k1", {{"1-1", 2}}, 1000));
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("answered 201")));
}

TEST_F(FaultCheckTest, FlagsAPurchaseWhoseLinesAreNotTheCart) {
  journal_.push_back(Purchase("ok", "k1", {{"1-1", 3}}, 1500));
  std::string id = Bought("k1", 2);
  ledger_.attempts[id].total_cents = 1500;
  EXPECT_THAT(Check(), ::testing::Contains(HasSubstr("from a cart of")));
}

TEST_F(FaultCheckTest, FlagsStockNotTakenForALine) {
  journal_.push_back(Purchase("ok", "k1", {{"1-1", 2}}, 1000));
  Bought("k1", 2);
  ledger_.takes.back().state = 2;  // given back
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("took stock")));
}

TEST_F(FaultCheckTest, FlagsADeclinedPurchaseThatWasRecorded) {
  journal_.push_back(Purchase("declined", "k1", {{"1-1", 2}}));
  Bought("k1", 2);
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("answered declined")));
}

TEST_F(FaultCheckTest, FlagsALostVoteAndCountersThatDisagreeWithVotes) {
  JournalEntry vote = Write("ProvideFeedback", "ok", "1-1");
  vote.vote = "down";
  journal_.push_back(vote);
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("is lost")));
  shelf_.votes[{kBuyer, "1-1"}] = false;
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("has feedback 0/0 but votes 0/1")));
  shelf_.items["1-1"].down = 1;
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("seller 7 has rating 0/0")));
  shelf_.ratings[kSeller] = {0, 1};
  EXPECT_THAT(Check(), IsEmpty());
}

TEST_F(FaultCheckTest, FlagsAPriceThatIsNotTheLastOneSet) {
  JournalEntry price = Write("ChangeItemPrice", "ok", "1-1");
  price.price = 700;
  journal_.push_back(price);
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("costs 500")));
  price.result = "unknown";
  price.price = 500;
  journal_.push_back(price);
  EXPECT_THAT(Check(), IsEmpty());
}

TEST_F(FaultCheckTest, FlagsACartThatIsNotWhatTheClientKnows) {
  JournalEntry final_state = Write("", "final");
  final_state.client = "b0";
  final_state.cart = {{"1-1", 1}};
  final_state.exact = true;
  journal_.push_back(final_state);
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("cart of b0")));
  shelf_.carts[kBuyer] = {{"1-1", 1}};
  EXPECT_THAT(Check(), IsEmpty());
}

TEST_F(FaultCheckTest, FlagsAnItemNoRegistrationAccountsFor) {
  shelf_.items["2-2"] = {kSeller, 300, bench::kNewItemUnits, 0, 0};
  EXPECT_THAT(Check(), ElementsAre(HasSubstr("seller 7 has 2 items")));
  JournalEntry reg = Write("RegisterItemForSale", "unknown");
  reg.is_new = true;
  reg.units = bench::kNewItemUnits;
  journal_.push_back(reg);
  EXPECT_THAT(Check(), IsEmpty());
}

TEST(MeasureFaultsTest, EachFaultOwnsTheFailuresAfterItsKillUntilCallsSucceedAgain) {
  auto entry = [](int64_t start_ms, int64_t end_ms, std::string result, int status = 503) {
    JournalEntry e;
    e.t = start_ms * 1'000'000;
    e.end = end_ms * 1'000'000;
    e.call = "GetItem";
    e.result = std::move(result);
    e.status = status;
    return e;
  };
  std::vector<JournalEntry> journal = {
      entry(1000, 1010, "unknown"), entry(1100, 1200, "unknown", 0), entry(1300, 1310, "recovered"),
      entry(5000, 5001, "not_sent", 0), entry(5200, 5250, "recovered")};
  std::vector<Fault> faults = {{.component = "a", .killed_ns = 900'000'000},
                               {.component = "b", .killed_ns = 4'000'000'000},
                               {.component = "c", .killed_ns = 8'000'000'000}};
  std::vector<FaultEffect> effects = MeasureFaults(journal, faults);
  ASSERT_EQ(effects.size(), 3u);
  EXPECT_EQ(effects[0].failed_calls, 2);
  EXPECT_EQ(effects[0].by_status, (std::map<int, int64_t>{{0, 1}, {503, 1}}));
  EXPECT_NEAR(effects[0].last_failure_s, 0.3, 1e-9);
  EXPECT_NEAR(effects[0].outage_s, 0.41, 1e-9);
  EXPECT_EQ(effects[1].failed_calls, 1);
  EXPECT_NEAR(effects[1].outage_s, 1.25, 1e-9);
  EXPECT_EQ(effects[2].failed_calls, 0);
  EXPECT_EQ(effects[2].outage_s, -1);
}

}  // namespace
}  // namespace mp::faults
