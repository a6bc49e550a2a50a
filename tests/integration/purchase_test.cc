// MakePurchase across real processes (docs/contract.md §5 "Purchase"): concurrent
// buyers never oversell, and a retry with the same Idempotency-Key returns
// the first outcome and never charges twice. Each case runs on SQLite and on
// PostgreSQL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <latch>
#include <mutex>
#include <thread>

#include "ledger.h"
#include "shop.h"
#include "storage/payment_repository.h"

namespace mp::integration {
namespace {

namespace json = boost::json;
using storage::Engine;
using ::testing::IsEmpty;

std::string PurchaseId(const HttpResult& r) {
  json::value v = r.json();
  if (!v.is_object() || !v.as_object().contains("purchase_id")) return "";
  return std::string(v.at("purchase_id").as_string());
}

std::string EngineParamName(const ::testing::TestParamInfo<Engine>& info) {
  return storage::testing::EngineName(info.param);
}

class PurchaseTest : public StackTestBase<Engine> {
 protected:
  // Every valid card is approved.
  StackOptions Options() const {
    StackOptions options;
    options.engine = GetParam();
    options.approval_rate = 1.0;
    return options;
  }
};

TEST_P(PurchaseTest, ConcurrentBuyersNeverOversell) {
  constexpr int kBuyers = 50;
  constexpr int kUnits = 10;
  ASSERT_NO_FATAL_FAILURE(StartStack(Options()));
  auto item = shop_->PutUp("last units", 1250, kUnits);
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  auto buyers = shop_->SignUpBuyers(kBuyers);
  ASSERT_TRUE(buyers.ok()) << buyers.status().ToString();
  for (const Buyer& b : *buyers) ASSERT_TRUE(shop_->AddToCart(b, *item, 1).ok());

  // Every buyer asks at the same moment.
  std::vector<HttpResult> results(kBuyers);
  std::latch ready(kBuyers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers; ++i) {
    threads.emplace_back([&, i] {
      ready.arrive_and_wait();
      results[i] = shop_->Purchase((*buyers)[i]);
    });
  }
  for (std::thread& t : threads) t.join();

  std::vector<std::string> bought;
  int refused = 0;
  for (int i = 0; i < kBuyers; ++i) {
    const HttpResult& r = results[i];
    if (r.status == 201) {
      bought.push_back(PurchaseId(r));
      EXPECT_EQ(shop_->CartUnits((*buyers)[i]), 0) << "cart cleared after a purchase";
      EXPECT_EQ(shop_->PurchasedUnits((*buyers)[i]), 1);
    } else {
      EXPECT_EQ(r.status, 409) << r.body;
      EXPECT_EQ(r.error_code(), "insufficient_quantity");
      EXPECT_EQ(shop_->CartUnits((*buyers)[i]), 1) << "a refused purchase keeps the cart";
      EXPECT_EQ(shop_->PurchasedUnits((*buyers)[i]), 0);
      ++refused;
    }
  }
  EXPECT_EQ(bought.size(), size_t{kUnits});
  EXPECT_EQ(refused, kBuyers - kUnits);
  EXPECT_EQ(shop_->Stock(*item), 0);
  EXPECT_EQ(shop_->Units(v1::ROLE_SELLER, shop_->seller_id()), kUnits);
  int64_t purchased = 0;
  for (const Buyer& b : *buyers) purchased += shop_->Units(v1::ROLE_BUYER, b.id);
  EXPECT_EQ(purchased, kUnits);

  storage::PaymentRepository charges(stack_->db(Component::kPayment));
  for (const std::string& id : bought) {
    auto charge = charges.Find(id);
    ASSERT_TRUE(charge.ok()) << charge.status().ToString();
    ASSERT_TRUE(charge->has_value()) << "no charge for " << id;
    EXPECT_TRUE((*charge)->approved);
    EXPECT_EQ((*charge)->amount_cents, 1250);
  }
  auto ledger = ReadLedger(*stack_);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  EXPECT_EQ(ledger->ApprovedCharges(), kUnits);
  EXPECT_EQ(ledger->CompletedAttempts(), kUnits);
  EXPECT_THAT(CheckInvariants(*ledger, shop_->put_up()), IsEmpty());
}

// A cart of two items whose ids sort differently as text and as numbers
// ("1-9" < "1-10" as numbers), so that an answer rebuilt in another order
// than the first one shows.
class RetryTest : public PurchaseTest {
 protected:
  void SetUpCart(const Buyer& buyer) {
    for (int i = 1; i <= 8; ++i)
      ASSERT_TRUE(shop_->PutUp("filler " + std::to_string(i), 100, 1).ok());
    auto a = shop_->PutUp("lamp", 1999, 5);
    auto b = shop_->PutUp("shade", 450, 5);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(*a, "1-9");
    ASSERT_EQ(*b, "1-10");
    ASSERT_TRUE(shop_->AddToCart(buyer, *a, 2).ok());
    ASSERT_TRUE(shop_->AddToCart(buyer, *b, 1).ok());
  }
  static constexpr int64_t kTotal = 2 * 1999 + 450;
};

TEST_P(RetryTest, SameKeyTwiceGivesOnePurchaseAndOneCharge) {
  ASSERT_NO_FATAL_FAILURE(StartStack(Options()));
  auto buyers = shop_->SignUpBuyers(1);
  ASSERT_TRUE(buyers.ok());
  const Buyer& buyer = buyers->at(0);
  ASSERT_NO_FATAL_FAILURE(SetUpCart(buyer));

  HttpResult first = shop_->Purchase(buyer, "key-1");
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResult again = shop_->Purchase(buyer, "key-1");
  EXPECT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json(), first.json()) << first.body << "\n" << again.body;
  EXPECT_EQ(first.json().at("total"), json::value(44.48));

  auto ledger = ReadLedger(*stack_);
  ASSERT_TRUE(ledger.ok());
  EXPECT_EQ(ledger->charges.size(), 1u);
  EXPECT_EQ(ledger->ApprovedCharges(), 1);
  ASSERT_EQ(ledger->attempts.size(), 1u);
  EXPECT_EQ(ledger->attempts.begin()->first, PurchaseId(first));
  EXPECT_EQ(ledger->attempts.begin()->second.total_cents, kTotal);
  EXPECT_EQ(shop_->PurchasedUnits(buyer), 3);
  EXPECT_THAT(CheckInvariants(*ledger, shop_->put_up()), IsEmpty());
}

TEST_P(RetryTest, SameKeyFromFiveThreadsAtOnceGivesOnePurchase) {
  ASSERT_NO_FATAL_FAILURE(StartStack(Options()));
  auto buyers = shop_->SignUpBuyers(1);
  ASSERT_TRUE(buyers.ok());
  const Buyer& buyer = buyers->at(0);
  ASSERT_NO_FATAL_FAILURE(SetUpCart(buyer));

  constexpr int kThreads = 5;
  std::vector<HttpResult> results(kThreads);
  std::latch ready(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ready.arrive_and_wait();
      results[i] = shop_->Purchase(buyer, "same-key");
    });
  }
  for (std::thread& t : threads) t.join();
  for (const HttpResult& r : results) {
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json(), results[0].json()) << results[0].body << "\n" << r.body;
  }

  auto ledger = ReadLedger(*stack_);
  ASSERT_TRUE(ledger.ok());
  EXPECT_EQ(ledger->charges.size(), 1u);
  EXPECT_EQ(ledger->CompletedAttempts(), 1);
  EXPECT_EQ(shop_->PurchasedUnits(buyer), 3);
  EXPECT_EQ(shop_->Units(v1::ROLE_BUYER, buyer.id), 3);
  EXPECT_EQ(shop_->Units(v1::ROLE_SELLER, shop_->seller_id()), 3);
  EXPECT_THAT(CheckInvariants(*ledger, shop_->put_up()), IsEmpty());
}

TEST_P(RetryTest, DeclinedPurchaseStaysDeclinedForItsKey) {
  ASSERT_NO_FATAL_FAILURE(StartStack(Options()));
  auto buyers = shop_->SignUpBuyers(1);
  ASSERT_TRUE(buyers.ok());
  const Buyer& buyer = buyers->at(0);
  ASSERT_NO_FATAL_FAILURE(SetUpCart(buyer));

  HttpResult declined = shop_->Purchase(buyer, "key-1", kBadCard);
  EXPECT_EQ(declined.status, 402) << declined.body;
  EXPECT_EQ(declined.error_code(), "payment_declined");
  // The same key names the same purchase: declined again, even with a good
  // card, and the payment service is not asked a second time.
  HttpResult retry = shop_->Purchase(buyer, "key-1", kGoodCard);
  EXPECT_EQ(retry.status, 402) << retry.body;
  EXPECT_EQ(retry.json(), declined.json());
  EXPECT_EQ(shop_->CartUnits(buyer), 3) << "a declined purchase keeps the cart";
  auto ledger = ReadLedger(*stack_);
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->charges.size(), 1u);
  EXPECT_FALSE(ledger->charges.begin()->second.approved);
  EXPECT_EQ(ledger->charges.begin()->second.reason, "invalid_card");
  EXPECT_THAT(CheckInvariants(*ledger, shop_->put_up()), IsEmpty());

  HttpResult other = shop_->Purchase(buyer, "key-2", kGoodCard);
  EXPECT_EQ(other.status, 201) << other.body;
  EXPECT_EQ(shop_->CartUnits(buyer), 0);
  ledger = ReadLedger(*stack_);
  ASSERT_TRUE(ledger.ok());
  EXPECT_EQ(ledger->charges.size(), 2u);
  EXPECT_EQ(ledger->ApprovedCharges(), 1);
  EXPECT_EQ(shop_->Stock("1-9"), 3);
  EXPECT_EQ(shop_->Stock("1-10"), 4);
  EXPECT_THAT(CheckInvariants(*ledger, shop_->put_up()), IsEmpty());
}

// A buyer server that dies while undoing a declined purchase, after giving
// the stock back and before recording the failure, leaves the attempt
// pending with nothing held. A retry with the key finishes the undo and
// gets the answer the first try would have had; it used to get 400
// failed_precondition ("the stock ... was given back"). Found by
// tests/faults, where a customer DB outage cut such undos short.
TEST_P(RetryTest, RetryFinishesAnUndoThatACrashCutShort) {
  StackOptions options = Options();
  options.approval_rate = 0.0;  // every valid card is declined
  options.crash_at[Component::kBuyerServer] = "after_release";
  ASSERT_NO_FATAL_FAILURE(StartStack(options));
  auto buyers = shop_->SignUpBuyers(1);
  ASSERT_TRUE(buyers.ok());
  const Buyer& buyer = buyers->at(0);
  ASSERT_NO_FATAL_FAILURE(SetUpCart(buyer));

  HttpResult cut = shop_->Purchase(buyer, "key-1");
  EXPECT_EQ(cut.status, 0) << "the buyer server died before answering: " << cut.body;
  auto died = stack_->WaitForExit(Component::kBuyerServer, std::chrono::seconds(10));
  ASSERT_TRUE(died.ok()) << died.status().ToString();
  Status restarted = stack_->Restart(Component::kBuyerServer, ProcessStack::Crash::kDisarm);
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  auto ledger = ReadLedger(*stack_);
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->attempts.size(), 1u);
  EXPECT_EQ(ledger->attempts.begin()->second.state, 1) << "the failure was not recorded";
  EXPECT_EQ(shop_->Stock("1-9"), 5) << "the stock was given back";

  HttpResult retry = shop_->Purchase(buyer, "key-1");
  EXPECT_EQ(retry.status, 402) << retry.body;
  EXPECT_EQ(retry.error_code(), "payment_declined");
  HttpResult again = shop_->Purchase(buyer, "key-1");
  EXPECT_EQ(again.json(), retry.json()) << again.body;
  EXPECT_EQ(shop_->CartUnits(buyer), 3) << "a declined purchase keeps the cart";
  ledger = ReadLedger(*stack_);
  ASSERT_TRUE(ledger.ok());
  ASSERT_EQ(ledger->attempts.size(), 1u);
  EXPECT_EQ(ledger->attempts.begin()->second.state, 3);
  EXPECT_EQ(ledger->attempts.begin()->second.failure_reason, "payment_declined");
  ASSERT_EQ(ledger->charges.size(), 1u);
  EXPECT_FALSE(ledger->charges.begin()->second.approved);
  EXPECT_THAT(CheckInvariants(*ledger, shop_->put_up()), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Engines, PurchaseTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres), EngineParamName);
INSTANTIATE_TEST_SUITE_P(Engines, RetryTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         EngineParamName);

}  // namespace
}  // namespace mp::integration
