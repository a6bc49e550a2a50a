#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common.pb.h"
#include "common/status.h"
#include "process_stack.h"

namespace mp::integration {

// A card that passes the Luhn check and has not expired, and one that fails
// the check (declined by the payment service as "invalid_card").
inline constexpr const char* kGoodCard = "4111111111111111";
inline constexpr const char* kBadCard = "4111111111111112";

struct Buyer {
  std::string username;
  std::string token;
  int64_t id = 0;
};

// Drives a ProcessStack through its REST servers as the two kinds of user
// would: one seller who puts items up, and buyers. Remembers how many units
// of each item were put up, for CheckInvariants. Thread-safe after
// OpenSeller, except PutUp.
class Shop {
 public:
  explicit Shop(ProcessStack& stack)
      : stack_(stack), seller_http_(stack.seller_port()), buyer_http_(stack.buyer_port()) {}

  // Signs the seller up and logs in.
  Status OpenSeller();
  // Registers a new item of the seller in category 1; returns its id.
  StatusOr<std::string> PutUp(const std::string& name, int64_t price_cents, int64_t quantity);
  // Signs up and logs in `n` buyers from 8 threads at once (each login
  // costs an Argon2id verification).
  StatusOr<std::vector<Buyer>> SignUpBuyers(int n);

  Status AddToCart(const Buyer& buyer, const std::string& item_id, int64_t quantity) const;
  // POST /v1/purchases with `card`, and an Idempotency-Key when `key` is set.
  HttpResult Purchase(const Buyer& buyer, const std::string& key = "",
                      const std::string& card = kGoodCard) const;
  // Units in the buyer's working cart (GET /v1/cart), -1 on error.
  int64_t CartUnits(const Buyer& buyer) const;
  // Units of the buyer's purchase records (GET /v1/purchases), -1 on error.
  int64_t PurchasedUnits(const Buyer& buyer) const;

  // items_sold of the seller / items_purchased of a buyer, from the
  // customer DB; -1 on error.
  int64_t Units(v1::Role role, int64_t user_id) const;
  // Units of `item_id` still for sale, from the product DB; -1 on error.
  int64_t Stock(const std::string& item_id) const;
  // Waits until the customer DB holds no pending purchase attempt.
  Status WaitNoPending(std::chrono::seconds timeout) const;

  int64_t seller_id() const { return seller_id_; }
  const std::map<std::string, int64_t>& put_up() const { return put_up_; }
  const HttpClient& buyer_http() const { return buyer_http_; }
  // The seller's own calls (withdrawals, price changes) for tests that make
  // them beside the shop's.
  const HttpClient& seller_http() const { return seller_http_; }
  const std::string& seller_token() const { return seller_token_; }

 private:
  ProcessStack& stack_;
  HttpClient seller_http_;
  HttpClient buyer_http_;
  std::string seller_token_;
  int64_t seller_id_ = 0;
  std::map<std::string, int64_t> put_up_;
};

// A fixture parameterized on the storage engine (plus whatever else a suite
// adds): starts a stack, prints every process's log when a test failed.
// A PostgreSQL case without MP_TEST_PG_URI fails in StartStack.
template <typename Param>
class StackTestBase : public ::testing::TestWithParam<Param> {
 protected:
  void StartStack(StackOptions options) {
    auto stack = ProcessStack::Start(options);
    ASSERT_TRUE(stack.ok()) << stack.status().ToString();
    stack_ = std::move(stack).value();
    shop_ = std::make_unique<Shop>(*stack_);
    Status seller = shop_->OpenSeller();
    ASSERT_TRUE(seller.ok()) << seller.ToString();
  }
  void TearDown() override {
    if (this->HasFailure() && stack_ != nullptr) std::cerr << stack_->Logs();
  }

  std::unique_ptr<ProcessStack> stack_;
  std::unique_ptr<Shop> shop_;
};

}  // namespace mp::integration
