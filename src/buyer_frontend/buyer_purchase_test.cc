// POST /v1/purchases in the in-process stack, through the route the buyer
// server builds (http::AddFrontendRoutes) and a real payment service that
// approves every valid card. The crash, race and recovery cases run on real
// processes (tests/integration); these check the route itself.
#include <gtest/gtest.h>

#include "buyer_test_fixture.h"

namespace mp::buyer_frontend {
namespace {

const json::object kCard{{"name", "Buyer One"},
                         {"card_number", "4111111111111111"},
                         {"expiration", "12/99"},
                         {"security_code", "123"}};

class BuyerPurchaseTest : public BuyerApiTest {
 protected:
  testing::HttpResult Buy(const std::string& key) {
    return http_->Send("POST", "/v1/purchases", json::serialize(kCard),
                       {{"Authorization", "Bearer " + token_},
                        {"Content-Type", "application/json"},
                        {"Idempotency-Key", key}});
  }
  int64_t Quantity(const std::string& item) {
    testing::HttpResult r = http_->Get("/v1/items/" + item, token_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json().at("quantity").as_int64() : -1;
  }
};

TEST_P(BuyerPurchaseTest, ABuyerBuysTheCartOnceWhateverTheRetries) {
  std::string item = Register("Lamp", 3, {"red"}, 12.5, 4);
  ASSERT_EQ(http_->Post("/v1/cart/items", json::object{{"item_id", item}, {"quantity", 3}}, token_)
                .status,
            200);
  testing::HttpResult first = Buy("key-1");
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.json().at("total"), json::value(37.5)) << first.body;
  const json::value id = first.json().at("purchase_id");
  EXPECT_EQ(Quantity(item), 1);
  EXPECT_TRUE(CartLines(token_).empty());

  // The same key again: the first answer, nothing charged or taken twice.
  testing::HttpResult again = Buy("key-1");
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json().at("purchase_id"), id);
  EXPECT_EQ(Quantity(item), 1);

  testing::HttpResult history = http_->Get("/v1/purchases", token_);
  ASSERT_EQ(history.status, 200) << history.body;
  const json::value body = history.json();
  const json::array& lines = body.at("purchases").as_array();
  ASSERT_EQ(lines.size(), 1u) << history.body;
  EXPECT_EQ(lines[0].at("item_id"), json::value(item));
  EXPECT_EQ(lines[0].at("quantity"), json::value(3));

  // A new key on the now empty cart buys nothing.
  testing::HttpResult empty = Buy("key-2");
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(empty.error_code(), "cart_empty") << empty.body;
  EXPECT_EQ(Quantity(item), 1);
}

TEST_P(BuyerPurchaseTest, ADeclinedCardChangesNothing) {
  std::string item = Register("Lamp", 3, {"red"}, 12.5, 4);
  ASSERT_EQ(http_->Post("/v1/cart/items", json::object{{"item_id", item}, {"quantity", 1}}, token_)
                .status,
            200);
  json::object card = kCard;
  card["card_number"] = "4111111111111112";  // fails the payment service's Luhn check
  testing::HttpResult r =
      http_->Send("POST", "/v1/purchases", json::serialize(card),
                  {{"Authorization", "Bearer " + token_}, {"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 402) << r.body;
  EXPECT_EQ(r.error_code(), "payment_declined") << r.body;
  EXPECT_EQ(Quantity(item), 4);
  EXPECT_EQ(CartLines(token_).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Engines, BuyerPurchaseTest,
                         ::testing::Values(storage::Engine::kSqlite, storage::Engine::kPostgres),
                         [](const auto& info) { return storage::testing::EngineName(info.param); });

}  // namespace
}  // namespace mp::buyer_frontend
