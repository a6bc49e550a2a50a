// A process dies in the middle of a purchase (--crash-at, common/fault.h);
// once it is back and the buyer server's recovery has run, no charge is
// without a purchase record and no stock is taken without one (docs/contract.md §5).
// Each row of docs/purchases.md's crash table is one case here, on SQLite
// and on PostgreSQL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <ostream>
#include <tuple>

#include "ledger.h"
#include "shop.h"

namespace mp::integration {
namespace {

using storage::Engine;
using ::testing::IsEmpty;

struct CrashCase {
  Component component;
  const char* point;
  // What recovery makes of the purchase: completed (the charge was
  // approved) or undone (nothing charged, the stock given back).
  bool completes;
};

constexpr CrashCase kCases[] = {
    {Component::kBuyerServer, "after_begin", false},
    {Component::kBuyerServer, "after_take", false},
    {Component::kProductDb, "after_take_commit", false},
    {Component::kPayment, "after_decision", true},
    {Component::kBuyerServer, "after_charge", true},
    {Component::kBuyerServer, "after_record", true},
};

// For GoogleTest's messages ("where GetParam() = ...").
void PrintTo(const CrashCase& c, std::ostream* os) {
  *os << ComponentName(c.component) << " --crash-at " << c.point;
}

using Param = std::tuple<Engine, CrashCase>;

std::string ParamName(const ::testing::TestParamInfo<Param>& info) {
  std::string component = ComponentName(std::get<1>(info.param).component);
  std::string name = storage::testing::EngineName(std::get<0>(info.param)) + "_" + component + "_" +
                     std::get<1>(info.param).point;
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

class PurchaseCrashTest : public StackTestBase<Param> {};

TEST_P(PurchaseCrashTest, RecoveryLeavesNoChargeOrStockWithoutARecord) {
  const auto& [engine, crash] = GetParam();
  StackOptions options;
  options.engine = engine;
  options.approval_rate = 1.0;
  options.recovery_age_s = 1;  // recovery settles what is pending 1 s, every 1 s
  options.crash_at[crash.component] = crash.point;
  ASSERT_NO_FATAL_FAILURE(StartStack(options));
  auto lamp = shop_->PutUp("lamp", 1250, 5);
  auto shade = shop_->PutUp("shade", 400, 3);
  ASSERT_TRUE(lamp.ok() && shade.ok());
  auto buyers = shop_->SignUpBuyers(2);
  ASSERT_TRUE(buyers.ok()) << buyers.status().ToString();
  const Buyer& buyer = buyers->at(0);
  ASSERT_TRUE(shop_->AddToCart(buyer, *lamp, 2).ok());
  ASSERT_TRUE(shop_->AddToCart(buyer, *shade, 1).ok());

  HttpResult interrupted = shop_->Purchase(buyer, "crash-key");
  // The buyer server's death drops the connection; a backend's shows as 503.
  EXPECT_TRUE(interrupted.status == 0 || interrupted.status == 503) << interrupted.body;
  auto died = stack_->WaitForExit(crash.component, std::chrono::seconds(10));
  ASSERT_TRUE(died.ok()) << died.status().ToString();
  EXPECT_TRUE(WIFSIGNALED(*died) && WTERMSIG(*died) == SIGKILL) << "wait status " << *died;

  Status restarted = stack_->Restart(crash.component, ProcessStack::Crash::kDisarm);
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  Status settled = shop_->WaitNoPending(std::chrono::seconds(20));
  ASSERT_TRUE(settled.ok()) << settled.ToString();

  auto ledger = ReadLedger(*stack_);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  EXPECT_THAT(CheckInvariants(*ledger, shop_->put_up()), IsEmpty());
  ASSERT_EQ(ledger->attempts.size(), 1u);
  const auto& [purchase_id, attempt] = *ledger->attempts.begin();
  // Every case reaches the payment service, at the latest through
  // recovery's probe, which fixes a never-charged purchase as declined.
  ASSERT_EQ(ledger->charges.count(purchase_id), 1u);
  const Ledger::Charge& charge = ledger->charges.at(purchase_id);
  constexpr int64_t kTotal = 2 * 1250 + 400;
  if (crash.completes) {
    EXPECT_EQ(attempt.state, 2);
    EXPECT_TRUE(charge.approved);
    EXPECT_EQ(charge.amount_cents, kTotal);
    EXPECT_EQ(attempt.total_cents, kTotal);
    EXPECT_EQ(shop_->Stock(*lamp), 3);
    EXPECT_EQ(shop_->Stock(*shade), 2);
    EXPECT_EQ(shop_->CartUnits(buyer), 0) << "a completed purchase clears the cart";
    EXPECT_EQ(shop_->PurchasedUnits(buyer), 3);
    EXPECT_EQ(shop_->Units(v1::ROLE_SELLER, shop_->seller_id()), 3);
  } else {
    EXPECT_EQ(attempt.state, 3);
    EXPECT_EQ(attempt.failure_reason, "purchase_interrupted");
    EXPECT_FALSE(charge.approved);
    EXPECT_EQ(shop_->Stock(*lamp), 5);
    EXPECT_EQ(shop_->Stock(*shade), 3);
    EXPECT_EQ(shop_->CartUnits(buyer), 3) << "an undone purchase keeps the cart";
    EXPECT_EQ(shop_->PurchasedUnits(buyer), 0);
    EXPECT_EQ(shop_->Units(v1::ROLE_SELLER, shop_->seller_id()), 0);
    for (const Ledger::Take& take : ledger->takes) EXPECT_EQ(take.state, 2) << take.item_id;
  }

  // A retry with the same key gets the final outcome, and changes nothing.
  HttpResult retry = shop_->Purchase(buyer, "crash-key");
  if (crash.completes) {
    EXPECT_EQ(retry.status, 201) << retry.body;
    EXPECT_EQ(retry.json().at("purchase_id"), boost::json::value(purchase_id)) << retry.body;
  } else {
    EXPECT_EQ(retry.status, 400) << retry.body;
    EXPECT_EQ(retry.error_code(), "purchase_interrupted");
  }

  // The marketplace goes on: another buyer buys what is left of the lamps.
  const Buyer& other = buyers->at(1);
  int64_t left = shop_->Stock(*lamp);
  ASSERT_TRUE(shop_->AddToCart(other, *lamp, left).ok());
  HttpResult after = shop_->Purchase(other, "other-key");
  EXPECT_EQ(after.status, 201) << after.body;
  EXPECT_EQ(shop_->Stock(*lamp), 0);
  ledger = ReadLedger(*stack_);
  ASSERT_TRUE(ledger.ok());
  EXPECT_THAT(CheckInvariants(*ledger, shop_->put_up()), IsEmpty());
  EXPECT_EQ(ledger->CompletedAttempts(), crash.completes ? 2 : 1);
}

INSTANTIATE_TEST_SUITE_P(Engines, PurchaseCrashTest,
                         ::testing::Combine(::testing::Values(Engine::kSqlite, Engine::kPostgres),
                                            ::testing::ValuesIn(kCases)),
                         ParamName);

}  // namespace
}  // namespace mp::integration
