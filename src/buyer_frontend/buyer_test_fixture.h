#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "rpc/customer_db_client.h"
#include "storage/test_database.h"
#include "test_stack.h"

namespace mp::buyer_frontend {

namespace json = boost::json;

// A whole stack with one seller ("seller1") and one buyer ("buyer1") logged
// in, on the engine of the test parameter.
class BuyerApiTest : public ::testing::TestWithParam<storage::Engine> {
 protected:
  virtual testing::TestStack::Options StackOptions() const { return {.engine = GetParam()}; }

  void SetUp() override {
    auto stack = testing::TestStack::Start(StackOptions());
    ASSERT_TRUE(stack.ok()) << stack.status().ToString();
    stack_ = std::move(stack).value();
    sellers_ = std::make_unique<testing::TestHttpClient>(stack_->seller_port());
    http_ = std::make_unique<testing::TestHttpClient>(stack_->buyer_port());
    seller_token_ = sellers_->SignUpAndLogIn("seller1", "password1", &seller_id_);
    token_ = http_->SignUpAndLogIn("buyer1", "password1", &buyer_id_);
    ASSERT_FALSE(seller_token_.empty());
    ASSERT_FALSE(token_.empty());
  }

  // Puts an item up for sale as seller1; returns its id.
  std::string Register(const std::string& name, int64_t category, json::array keywords,
                       json::value price = 12.5, int64_t quantity = 4) {
    testing::HttpResult r = sellers_->Post("/v1/items",
                                           json::object{{"name", name},
                                                        {"category", category},
                                                        {"keywords", std::move(keywords)},
                                                        {"condition", "new"},
                                                        {"price", std::move(price)},
                                                        {"quantity", quantity}},
                                           seller_token_);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? std::string(r.json().at("item_id").as_string()) : "";
  }

  // Records that buyer1 bought `quantity` units of seller1's `item_id`, as
  // MakePurchase will, straight through the customer DB service.
  void RecordPurchase(const std::string& item_id, int64_t quantity, int64_t price_cents) {
    rpc::CustomerDbClient customers(
        rpc::ClientOptions{.addresses = {stack_->customer_db_address()}});
    v1::RecordPurchaseRequest r;
    r.set_purchase_id("purchase-");
    r.mutable_purchase_id()->append(std::to_string(++purchases_));
    r.set_buyer_id(buyer_id_);
    v1::PurchaseLine* line = r.add_lines();
    line->set_item_id(item_id);
    line->set_seller_id(seller_id_);
    line->set_quantity(quantity);
    line->set_price_cents(price_cents);
    auto recorded = customers.RecordPurchase(r);
    ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  }

  // The working cart of the session of `token`, as GET /v1/cart shows it.
  json::value Cart(const std::string& token) {
    testing::HttpResult r = http_->Get("/v1/cart", token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }

  // {"item_id": quantity, ...} of the working cart of `token`.
  std::map<std::string, int64_t> CartLines(const std::string& token) {
    std::map<std::string, int64_t> lines;
    json::value cart = Cart(token);
    if (!cart.is_object()) return lines;
    for (const json::value& line : cart.at("items").as_array()) {
      lines[std::string(line.at("item_id").as_string())] = line.at("quantity").as_int64();
    }
    return lines;
  }

  // Logs buyer1 in once more (another session); returns the token.
  std::string LogInAgain() {
    testing::HttpResult r = http_->Post(
        "/v1/sessions", json::object{{"username", "buyer1"}, {"password", "password1"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? std::string(r.json().at("token").as_string()) : "";
  }

  std::unique_ptr<testing::TestStack> stack_;
  std::unique_ptr<testing::TestHttpClient> sellers_;  // to the seller server
  std::unique_ptr<testing::TestHttpClient> http_;     // to the buyer server
  std::string seller_token_;
  std::string token_;
  int64_t seller_id_ = 0;
  int64_t buyer_id_ = 0;
  int purchases_ = 0;
};

// The same with a short session timeout (60 s) on the fake clock.
class BuyerSessionTest : public BuyerApiTest {
 protected:
  testing::TestStack::Options StackOptions() const override {
    return {.engine = GetParam(), .session_timeout_s = 60};
  }
};

}  // namespace mp::buyer_frontend
