// One user doing one thing several times at once, across real processes
// (docs/purchases.md, "Concurrency"): one cart bought by concurrent
// requests is bought once, with or without an Idempotency-Key; totals past
// the maximum and malformed cards are refused before anything is held.
// Each case runs on SQLite and on PostgreSQL.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <latch>
#include <set>
#include <thread>

#include "common/types.h"
#include "ledger.h"
#include "shop.h"

namespace mp::integration {
namespace {

namespace json = boost::json;
using storage::Engine;
using ::testing::IsEmpty;

constexpr int kAtOnce = 4;

std::string PurchaseId(const HttpResult& r) {
  json::value v = r.json();
  if (!v.is_object() || !v.as_object().contains("purchase_id")) return "";
  return std::string(v.at("purchase_id").as_string());
}

// Sends `kAtOnce` purchases of the buyer's cart at the same moment.
std::vector<HttpResult> PurchaseAtOnce(const Shop& shop, const Buyer& buyer,
                                       const std::string& key) {
  std::vector<HttpResult> results(kAtOnce);
  std::latch ready(kAtOnce);
  std::vector<std::thread> threads;
  for (int i = 0; i < kAtOnce; ++i) {
    threads.emplace_back([&, i] {
      ready.arrive_and_wait();
      results[i] = shop.Purchase(buyer, key);
    });
  }
  for (std::thread& t : threads) t.join();
  return results;
}

class PurchaseRaceTest : public StackTestBase<Engine> {
 protected:
  void SetUp() override {
    StackOptions options;
    options.engine = GetParam();
    options.approval_rate = 1.0;
    ASSERT_NO_FATAL_FAILURE(StartStack(options));
    auto buyers = shop_->SignUpBuyers(1);
    ASSERT_TRUE(buyers.ok()) << buyers.status().ToString();
    buyer_ = (*buyers)[0];
  }

  Ledger ReadLedgerOrFail() {
    auto ledger = ReadLedger(*stack_);
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    return ledger.ok() ? std::move(ledger).value() : Ledger{};
  }

  Buyer buyer_;
};

// A double-click, or a client's retry after a timeout, without a key: four
// requests for one cart. One buys it; the others get 409
// purchase_in_progress while it runs, or 400 cart_empty after it.
TEST_P(PurchaseRaceTest, OneCartBoughtFourTimesAtOnceIsBoughtOnce) {
  constexpr int kRounds = 4;
  auto item = shop_->PutUp("lamp", 1250, 100);
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_TRUE(shop_->AddToCart(buyer_, *item, 2).ok());
    int bought = 0;
    for (const HttpResult& r : PurchaseAtOnce(*shop_, buyer_, "")) {
      if (r.status == 201) {
        ++bought;
      } else if (r.status == 409) {
        EXPECT_EQ(r.error_code(), "purchase_in_progress") << r.body;
      } else {
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_EQ(r.error_code(), "cart_empty") << r.body;
      }
    }
    EXPECT_EQ(bought, 1) << "round " << round;
  }
  EXPECT_EQ(shop_->Stock(*item), 100 - 2 * kRounds);
  EXPECT_EQ(shop_->PurchasedUnits(buyer_), 2 * kRounds);
  Ledger ledger = ReadLedgerOrFail();
  EXPECT_EQ(ledger.ApprovedCharges(), kRounds) << "one charge per cart";
  EXPECT_THAT(CheckInvariants(ledger, shop_->put_up()), IsEmpty());
}

// The same key four times at once for the last unit: one purchase, the unit
// sold (not back on sale), and a later retry with the key gets the same 201.
TEST_P(PurchaseRaceTest, SameKeyFourTimesAtOnceForTheLastUnitBuysItOnce) {
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    auto item = shop_->PutUp("last " + std::to_string(round), 700, 1);
    ASSERT_TRUE(item.ok()) << item.status().ToString();
    ASSERT_TRUE(shop_->AddToCart(buyer_, *item, 1).ok());
    std::string key = "last-unit-" + std::to_string(round);
    std::set<std::string> ids;
    for (const HttpResult& r : PurchaseAtOnce(*shop_, buyer_, key)) {
      EXPECT_EQ(r.status, 201) << "round " << round << ": " << r.body;
      ids.insert(PurchaseId(r));
    }
    EXPECT_EQ(ids.size(), 1u) << "round " << round;
    EXPECT_EQ(shop_->Stock(*item), 0) << "round " << round << ": the unit went back on sale";
    HttpResult retry = shop_->Purchase(buyer_, key);
    EXPECT_EQ(retry.status, 201) << retry.body;
    EXPECT_EQ(PurchaseId(retry), *ids.begin());
  }
  Ledger ledger = ReadLedgerOrFail();
  EXPECT_EQ(ledger.ApprovedCharges(), kRounds);
  EXPECT_EQ(ledger.CompletedAttempts(), kRounds);
  EXPECT_THAT(CheckInvariants(ledger, shop_->put_up()), IsEmpty());
}

// Two lines of 10^9 units at 1,000,000,000.00 plus one at 0.01 wrapped to a
// small total before; now the order is refused and nothing is held.
TEST_P(PurchaseRaceTest, TotalPastTheMaximumIsRefusedAndHoldsNothing) {
  auto a = shop_->PutUp("gold a", kMaxPriceCents, kMaxQuantity);
  auto b = shop_->PutUp("gold b", kMaxPriceCents, kMaxQuantity);
  auto c = shop_->PutUp("penny", 1, 1);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_TRUE(shop_->AddToCart(buyer_, *a, kMaxQuantity).ok());
  ASSERT_TRUE(shop_->AddToCart(buyer_, *b, kMaxQuantity).ok());
  ASSERT_TRUE(shop_->AddToCart(buyer_, *c, 1).ok());
  HttpResult cart = shop_->buyer_http().Get("/v1/cart", buyer_.token);
  ASSERT_EQ(cart.status, 200) << cart.body;
  EXPECT_TRUE(cart.json().at("total").is_null()) << "shown as past the maximum, not wrapped";

  HttpResult r = shop_->Purchase(buyer_);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.error_code(), "invalid_argument") << r.body;
  EXPECT_EQ(shop_->Stock(*a), kMaxQuantity);
  EXPECT_EQ(shop_->Stock(*b), kMaxQuantity);
  EXPECT_EQ(shop_->Stock(*c), 1);
  EXPECT_EQ(shop_->CartUnits(buyer_), 2 * kMaxQuantity + 1) << "a refused order keeps the cart";
  Ledger ledger = ReadLedgerOrFail();
  EXPECT_EQ(ledger.ApprovedCharges(), 0);
  EXPECT_THAT(CheckInvariants(ledger, shop_->put_up()), IsEmpty());

  // The maximum itself can be bought.
  HttpResult cleared = shop_->buyer_http().Send("DELETE", "/v1/cart", "",
                                                {{"Authorization", "Bearer " + buyer_.token}});
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  ASSERT_TRUE(shop_->AddToCart(buyer_, *a, 1).ok());
  HttpResult most = shop_->Purchase(buyer_);
  EXPECT_EQ(most.status, 201) << most.body;
}

// Card fields are checked before anything is held: no stock taken, no
// charge, no attempt, whatever arrives.
TEST_P(PurchaseRaceTest, MalformedCardsAreRefusedBeforeAnythingIsHeld) {
  auto item = shop_->PutUp("card test", 500, 3);
  ASSERT_TRUE(item.ok());
  ASSERT_TRUE(shop_->AddToCart(buyer_, *item, 2).ok());
  struct Case {
    std::string field;
    std::string value;
    std::string names;  // the field the error names
  };
  const std::vector<Case> cases = {
      {"card_number", std::string(100'000, '4'), "card_number"},
      {"card_number", std::string(3'000, '4'), "card_number"},
      {"card_number", "41111111111", "card_number"},           // 11 digits
      {"card_number", "41111111111111111111", "card_number"},  // 20 digits
      {"card_number", "4111 1111 1111 1111", "card_number"},
      {"card_number", "4111-1111-1111-1111", "card_number"},
      {"expiration", "13/30", "expiration"},
      {"expiration", "00/30", "expiration"},
      {"expiration", "1/30", "expiration"},
      {"expiration", "12-30", "expiration"},
      {"expiration", "12/2030", "expiration"},
      {"security_code", "12", "security_code"},
      {"security_code", "12345", "security_code"},
      {"security_code", "12a", "security_code"},
  };
  for (const Case& c : cases) {
    json::object body{{"name", "Ada Buyer"},
                      {"card_number", "4111111111111111"},
                      {"expiration", "12/39"},
                      {"security_code", "123"}};
    body[c.field] = c.value;
    HttpResult r = shop_->buyer_http().Post("/v1/purchases", body, buyer_.token);
    EXPECT_EQ(r.status, 400) << c.field << "=" << c.value.substr(0, 40) << ": " << r.body;
    EXPECT_EQ(r.error_code(), "invalid_argument");
    EXPECT_NE(r.body.find(c.names), std::string::npos) << r.body;
    EXPECT_LT(r.body.size(), 1000u) << "the error does not echo the input";
  }
  EXPECT_EQ(shop_->Stock(*item), 3);
  Ledger ledger = ReadLedgerOrFail();
  EXPECT_THAT(ledger.charges, IsEmpty());
  EXPECT_THAT(ledger.attempts, IsEmpty());
  // A good card with a 4-digit code still buys.
  json::object good{{"name", "Ada Buyer"},
                    {"card_number", "4111111111111111"},
                    {"expiration", "12/39"},
                    {"security_code", "1234"}};
  EXPECT_EQ(shop_->buyer_http().Post("/v1/purchases", good, buyer_.token).status, 201);
}

INSTANTIATE_TEST_SUITE_P(Engines, PurchaseRaceTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& info) { return storage::testing::EngineName(info.param); });

}  // namespace
}  // namespace mp::integration
