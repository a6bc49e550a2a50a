// Taking, releasing and committing stock for purchases (ProductRepository).
#include <gtest/gtest.h>

#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "storage/product_repository_test_fixture.h"

namespace mp::storage::testing {
namespace {

class ProductStockTest : public ProductRepositoryTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ProductRepositoryTest::SetUp());
    a_ = Register({.seller = 1, .name = "Alpha", .price = 100, .quantity = 5});
    b_ = Register({.seller = 2, .name = "Beta", .price = 250, .quantity = 3});
  }
  Item a_, b_;
};

TEST_P(ProductStockTest, TakesStockAndReportsLines) {
  auto taken = repo_->TakeStock("p1", {{Id(b_), 2}, {Id(a_), 1}});
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(TakenLines(*taken), (std::vector<Taken>{{a_.id.ToString(), 1, 100, 1, "Alpha"},
                                                    {b_.id.ToString(), 2, 250, 2, "Beta"}}));
  EXPECT_EQ(Quantity(a_), 4);
  EXPECT_EQ(Quantity(b_), 1);
}

TEST_P(ProductStockTest, TakesAllLinesOrNone) {
  struct Case {
    StockLines lines;
    StatusCode code;
  };
  const Case cases[] = {
      {{{Id(a_), 1}, {Id(b_), 4}}, StatusCode::kAborted},
      {{{Id(a_), 6}}, StatusCode::kAborted},
      {{{Id(a_), 1}, {ItemId{3, Id(b_).number + 50}, 1}}, StatusCode::kNotFound},
      {{{Id(a_), 1}, {ItemId{9, Id(b_).number}, 1}}, StatusCode::kNotFound},
  };
  for (const Case& c : cases) {
    auto taken = repo_->TakeStock("p1", c.lines);
    EXPECT_EQ(taken.status().code(), c.code);
    if (c.code == StatusCode::kAborted) {
      EXPECT_EQ(taken.status().reason(), "insufficient_quantity");
    }
    EXPECT_EQ(Quantity(a_), 5);
    EXPECT_EQ(Quantity(b_), 3);
  }
  // Nothing was recorded under the purchase id: it can still take stock.
  auto taken = repo_->TakeStock("p1", {{Id(a_), 5}, {Id(b_), 3}});
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(Quantity(a_), 0);
  EXPECT_EQ(repo_->TakeStock("p2", {{Id(a_), 1}}).status().reason(), "insufficient_quantity");
}

TEST_P(ProductStockTest, RepeatedTakeAnswersFirstLinesAndTakesOnce) {
  auto first = repo_->TakeStock("p1", {{Id(a_), 2}, {Id(b_), 1}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(repo_->ChangePrice(SellerId(1), Id(a_), 999).ok());
  for (const StockLines& lines : {StockLines{{Id(a_), 2}, {Id(b_), 1}}, StockLines{{Id(b_), 3}}}) {
    auto again = repo_->TakeStock("p1", lines);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(TakenLines(*again), TakenLines(*first));
  }
  EXPECT_EQ(Quantity(a_), 3);
  EXPECT_EQ(Quantity(b_), 2);
}

TEST_P(ProductStockTest, ReleaseRestoresStockExactlyOnce) {
  ASSERT_TRUE(repo_->TakeStock("p1", {{Id(a_), 2}, {Id(b_), 3}}).ok());
  ASSERT_TRUE(repo_->TakeStock("p2", {{Id(a_), 1}}).ok());
  for (int i = 0; i < 2; ++i) {
    Status s = repo_->ReleaseStock("p1");
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(Quantity(a_), 4);
    EXPECT_EQ(Quantity(b_), 3);
  }
  auto retake = repo_->TakeStock("p1", {{Id(a_), 2}});
  EXPECT_EQ(retake.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(repo_->CommitStock("p1").ok()) << "a released take stays given back";
  EXPECT_EQ(Quantity(a_), 4);
  EXPECT_TRUE(repo_->ReleaseStock("unknown").ok());
}

TEST_P(ProductStockTest, CommitKeepsUnitsTakenAndIsIdempotent) {
  auto first = repo_->TakeStock("p1", {{Id(a_), 2}});
  ASSERT_TRUE(first.ok());
  for (int i = 0; i < 2; ++i) {
    Status s = repo_->CommitStock("p1");
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  ASSERT_TRUE(repo_->ReleaseStock("p1").ok());
  EXPECT_EQ(Quantity(a_), 3) << "committed units are not given back";
  auto again = repo_->TakeStock("p1", {{Id(a_), 2}});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(TakenLines(*again), TakenLines(*first));
  EXPECT_EQ(Quantity(a_), 3);
  EXPECT_TRUE(repo_->CommitStock("unknown").ok());
}

// The same purchase id taken from several threads at once, as a retry
// racing its first try does, for the last unit: every call answers the one
// take. Before the steps of a purchase took turns on PostgreSQL, the losers
// found no take, were refused for want of stock, and that refusal's undo
// gave the winner's unit back.
TEST_P(ProductStockTest, ConcurrentTakesOfOnePurchaseTakeOnce) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 5; ++round) {
    Item last = Register({.seller = 3, .name = Key("Last", round), .quantity = 1});
    std::string purchase = Key("race-", round);
    std::vector<StatusOr<std::vector<TakenLine>>> results(kThreads, Internal("not run"));
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i] = repo_->TakeStock(purchase, {{Id(last), 1}});
      });
    }
    for (std::thread& t : threads) t.join();
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok()) << "round " << round << ": " << r.status().ToString();
      EXPECT_EQ(TakenLines(*r), (std::vector<Taken>{{last.id.ToString(), 1, 1999, 3, last.name}}));
    }
    EXPECT_EQ(Quantity(last), 0) << "round " << round;
  }
}

// Checked arithmetic: a total past kMaxOrderTotalCents is refused inside
// the transaction, so nothing stays taken (and nothing wraps).
TEST_P(ProductStockTest, TakeRefusesATotalPastTheMaximumAndHoldsNothing) {
  Item dear =
      Register({.seller = 3, .name = "Dear", .price = kMaxPriceCents, .quantity = kMaxQuantity});
  Item cheap = Register({.seller = 3, .name = "Cheap", .price = 1, .quantity = 5});
  const StockLines too_much[] = {
      {{Id(dear), kMaxQuantity}},               // one line's product overflows 64 bits
      {{Id(dear), 1}, {Id(cheap), 1}},          // one cent past the maximum
      {{Id(dear), kMaxQuantity}, {Id(a_), 1}},  // overflow, then more
  };
  for (const StockLines& lines : too_much) {
    auto taken = repo_->TakeStock("dear", lines);
    EXPECT_EQ(taken.status().code(), StatusCode::kInvalidArgument) << taken.status().ToString();
    EXPECT_EQ(Quantity(dear), kMaxQuantity);
    EXPECT_EQ(Quantity(cheap), 5);
    EXPECT_EQ(Quantity(a_), 5);
  }
  auto exactly = repo_->TakeStock("exact", {{Id(dear), 1}});
  ASSERT_TRUE(exactly.ok()) << "the maximum itself may be bought: " << exactly.status().ToString();
  EXPECT_EQ(Quantity(dear), kMaxQuantity - 1);
}

INSTANTIATE_TEST_SUITE_P(Engines, ProductStockTest, kEngines, Name);

}  // namespace
}  // namespace mp::storage::testing
