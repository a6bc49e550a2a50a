// Many threads on one database, on both engines: stock never goes negative,
// no update is lost, equal registrations merge, votes count exactly.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "storage/account_repository.h"
#include "storage/cart_repository.h"
#include "storage/customer_schema.h"
#include "storage/product_repository.h"
#include "storage/purchase_repository.h"
#include "storage/session_repository.h"
#include "storage/test_database.h"

namespace mp::storage {
namespace {

using ::mp::storage::testing::EngineName;
using ::mp::storage::testing::TestDatabase;

// prefix + n. (GCC 12 warns falsely, -Wrestrict, on "literal" + string.)
std::string Key(std::string prefix, int64_t n) {
  prefix += std::to_string(n);
  return prefix;
}

constexpr int kThreads = 32;

NewItem Lamp(int64_t seller, const std::string& name, int64_t quantity) {
  return {.seller_id = SellerId(seller),
          .name = name,
          .category = 1,
          .keywords = {"lamp"},
          .condition = Condition::kNew,
          .price_cents = 500,
          .quantity = quantity};
}

// Runs fn(thread_index) on kThreads threads released together.
template <typename Fn>
void RunTogether(Fn fn) {
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      fn(i);
    });
  }
  for (auto& t : threads) t.join();
}

// Collects unexpected errors from many threads.
class Errors {
 public:
  void Add(const Status& s) {
    std::lock_guard lock(mu_);
    if (errors_.size() < 5) errors_.push_back(s.ToString());
    ++count_;
  }
  std::string Summary() {
    std::string out = std::to_string(count_) + " unexpected errors";
    for (const auto& e : errors_) out += "\n  " + e;
    return out;
  }
  int count() const { return count_; }

 private:
  std::mutex mu_;
  std::vector<std::string> errors_;
  int count_ = 0;
};

class ConcurrencyTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    auto t = TestDatabase::Create(GetParam(), /*max_connections=*/16);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    test_db_ = std::move(t).value();
    Status migrated = ProductRepository::Migrate(test_db_->db());
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
    migrated = MigrateCustomerDatabase(test_db_->db());
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
    products_ = std::make_unique<ProductRepository>(test_db_->db());
    accounts_ = std::make_unique<AccountRepository>(test_db_->db());
    sessions_ = std::make_unique<SessionRepository>(test_db_->db(), clock_, 300'000);
    carts_ = std::make_unique<CartRepository>(test_db_->db(), *sessions_);
    purchases_ = std::make_unique<PurchaseRepository>(test_db_->db(), *sessions_);
    // Open every pooled connection first, so the threads race on the data,
    // not on connecting.
    RunTogether([&](int) { (void)products_->GetSellerRatings({SellerId(1)}); });
  }

  ItemId Register(int64_t seller, const std::string& name, int64_t quantity) {
    auto item = products_->RegisterItem(Lamp(seller, name, quantity));
    EXPECT_TRUE(item.ok()) << item.status().ToString();
    return item.ok() ? item->id : ItemId{};
  }

  Item Read(const ItemId& id) {
    auto items = products_->GetItems({id});
    EXPECT_TRUE(items.ok() && items->size() == 1) << items.status().ToString();
    return items.ok() && items->size() == 1 ? (*items)[0] : Item{};
  }
  int64_t Quantity(const ItemId& id) { return Read(id).quantity; }
  Feedback SellerRating(int64_t seller) {
    auto ratings = products_->GetSellerRatings({SellerId(seller)});
    EXPECT_TRUE(ratings.ok()) << ratings.status().ToString();
    return ratings.ok() ? (*ratings)[SellerId(seller)] : Feedback{-1, -1};
  }

  FakeClock clock_;
  std::unique_ptr<TestDatabase> test_db_;
  std::unique_ptr<ProductRepository> products_;
  std::unique_ptr<AccountRepository> accounts_;
  std::unique_ptr<SessionRepository> sessions_;
  std::unique_ptr<CartRepository> carts_;
  std::unique_ptr<PurchaseRepository> purchases_;
};

TEST_P(ConcurrencyTest, WithdrawalsAndTakesNeverOversell) {
  constexpr int64_t kStock = 200;
  constexpr int kOpsPerThread = 10;  // about 640 units asked for in all
  ItemId id = Register(1, "Lamp", kStock);
  std::atomic<int64_t> removed{0};
  std::atomic<int> refused{0};
  Errors errors;
  RunTogether([&](int t) {
    for (int j = 0; j < kOpsPerThread; ++j) {
      int64_t q = 1 + (t + j) % 3;
      Status s;
      if ((t + j) % 2 == 0) {
        s = products_->WithdrawUnits(SellerId(1), id, q).status();
      } else {
        std::string purchase = Key(Key("p", t) + "_", j);
        s = products_->TakeStock(purchase, {{id, q}}).status();
      }
      if (s.ok()) {
        removed += q;
      } else if (s.reason() == "insufficient_quantity") {
        ++refused;
      } else {
        errors.Add(s);
      }
    }
  });
  EXPECT_EQ(errors.count(), 0) << errors.Summary();
  int64_t left = Quantity(id);
  EXPECT_GE(left, 0);
  EXPECT_EQ(kStock - left, removed.load());
  // Demand exceeded the stock, and a refusal means fewer than q (<= 3) left.
  EXPECT_GT(refused.load(), 0);
  EXPECT_LE(left, 2);
}

TEST_P(ConcurrencyTest, TakesOfSeveralItemsStayAllOrNone) {
  ItemId a = Register(1, "A", 40);
  ItemId b = Register(2, "B", 40);
  std::atomic<int> taken{0};
  Errors errors;
  RunTogether([&](int t) {
    for (int j = 0; j < 3; ++j) {
      // Half the threads name the items in the other order.
      std::vector<StockLine> lines = {{a, 1}, {b, 1}};
      if (t % 2) std::swap(lines[0], lines[1]);
      auto r = products_->TakeStock(Key(Key("p", t) + "_", j), lines);
      if (r.ok()) {
        ++taken;
      } else if (r.status().reason() != "insufficient_quantity") {
        errors.Add(r.status());
      }
    }
  });
  EXPECT_EQ(errors.count(), 0) << errors.Summary();
  EXPECT_EQ(taken.load(), 40);
  EXPECT_EQ(Quantity(a), 0);
  EXPECT_EQ(Quantity(b), 0);
}

TEST_P(ConcurrencyTest, RepeatsOfOneTakeTakeStockOnce) {
  ItemId a = Register(1, "A", 10);
  ItemId b = Register(2, "B", 10);
  std::atomic<int> answered{0};
  Errors errors;
  RunTogether([&](int) {
    auto r = products_->TakeStock("p1", {{a, 2}, {b, 3}});
    if (!r.ok()) return errors.Add(r.status());
    if (r->size() == 2) ++answered;
  });
  EXPECT_EQ(errors.count(), 0) << errors.Summary();
  EXPECT_EQ(answered.load(), kThreads);
  EXPECT_EQ(Quantity(a), 8);
  EXPECT_EQ(Quantity(b), 7);
}

TEST_P(ConcurrencyTest, AddsToOneCartNeverExceedAvailable) {
  constexpr int64_t kAvailable = 50;
  constexpr int kAddsPerThread = 4;  // 128 units asked for
  auto buyer = accounts_->CreateAccount(Role::kBuyer, "bob", "h", "Bob");
  ASSERT_TRUE(buyer.ok()) << buyer.status().ToString();
  ASSERT_TRUE(sessions_->CreateSession("s1", Role::kBuyer, *buyer).ok());
  const SessionKey session{"s1", Role::kBuyer};
  const ItemId item{1, 1};
  std::atomic<int64_t> added{0};
  Errors errors;
  RunTogether([&](int) {
    for (int j = 0; j < kAddsPerThread; ++j) {
      auto cart = carts_->AddToCart(session, item, 1, kAvailable);
      if (cart.ok()) {
        ++added;
      } else if (cart.status().reason() != "insufficient_quantity") {
        errors.Add(cart.status());
      }
    }
  });
  EXPECT_EQ(errors.count(), 0) << errors.Summary();
  auto cart = carts_->GetCart(session);
  ASSERT_TRUE(cart.ok()) << cart.status().ToString();
  ASSERT_EQ(cart->lines.size(), 1u);
  int64_t in_cart = cart->lines[0].quantity;
  EXPECT_LE(in_cart, kAvailable);
  EXPECT_EQ(in_cart, added.load()) << "an add was lost";
  EXPECT_EQ(in_cart, kAvailable);
}

TEST_P(ConcurrencyTest, RepeatsOfOnePurchaseRecordItOnce) {
  auto buyer = accounts_->CreateAccount(Role::kBuyer, "bob", "h", "Bob");
  auto seller = accounts_->CreateAccount(Role::kSeller, "sue", "h", "Sue");
  ASSERT_TRUE(buyer.ok() && seller.ok());
  PurchaseRecord request{.purchase_id = "p1", .buyer_id = BuyerId(buyer->value)};
  for (int64_t number : {1, 2}) {
    request.lines.push_back({ItemId{1, number}, SellerId(seller->value), 2, 100});
  }
  std::mutex mu;
  std::set<int64_t> times;
  Errors errors;
  RunTogether([&](int t) {
    if (t % 2) clock_.Advance(1);  // a repeat must answer the first time
    auto r = purchases_->RecordPurchase(request);
    if (!r.ok()) return errors.Add(r.status());
    std::lock_guard lock(mu);
    times.insert(r->time_ms);
  });
  EXPECT_EQ(errors.count(), 0) << errors.Summary();
  EXPECT_EQ(times.size(), 1u);
  EXPECT_EQ(accounts_->GetAccount(Role::kBuyer, *buyer)->units, 4);
  EXPECT_EQ(accounts_->GetAccount(Role::kSeller, *seller)->units, 4);
  EXPECT_EQ(*purchases_->GetPurchasedQuantity(BuyerId(buyer->value), ItemId{1, 1}), 2);
}

TEST_P(ConcurrencyTest, EqualRegistrationsMergeIntoOneItem) {
  constexpr int kPerThread = 3;
  std::atomic<int64_t> total[2] = {0, 0};
  std::mutex mu;
  std::set<std::string> ids[2];
  Errors errors;
  RunTogether([&](int t) {
    int64_t seller = 1 + t % 2;  // two sellers, each with its own item
    for (int j = 0; j < kPerThread; ++j) {
      int64_t q = 1 + (t + j) % 4;
      auto item = products_->RegisterItem(Lamp(seller, "Lamp", q));
      if (!item.ok()) {
        errors.Add(item.status());
        continue;
      }
      total[seller - 1] += q;
      std::lock_guard lock(mu);
      ids[seller - 1].insert(item->id.ToString());
    }
  });
  EXPECT_EQ(errors.count(), 0) << errors.Summary();
  auto lists = products_->ListItemsOfSellers({SellerId(1), SellerId(2)});
  ASSERT_TRUE(lists.ok()) << lists.status().ToString();
  for (int64_t seller : {1, 2}) {
    EXPECT_EQ(ids[seller - 1].size(), 1u) << "seller " << seller;
    const std::vector<Item>& items = (*lists)[SellerId(seller)];
    ASSERT_EQ(items.size(), 1u) << "seller " << seller;
    EXPECT_EQ(items[0].quantity, total[seller - 1].load());
    EXPECT_EQ(items[0].id.ToString(), *ids[seller - 1].begin());
  }
}

TEST_P(ConcurrencyTest, VotesOfDistinctBuyersCountExactly) {
  ItemId liked = Register(1, "Liked", 1);
  ItemId disliked = Register(1, "Disliked", 1);
  ItemId contested = Register(2, "Contested", 1);
  std::atomic<int> contested_ok{0}, contested_refused{0};
  Errors errors;
  RunTogether([&](int t) {
    const BuyerId buyer(100 + t);
    for (Status s :
         {products_->Vote(buyer, liked, t % 4 != 0), products_->Vote(buyer, disliked, false)}) {
      if (!s.ok()) errors.Add(s);
    }
    // Two threads vote as the same buyer: one wins, one is refused.
    Status s = products_->Vote(BuyerId(1000 + t % (kThreads / 2)), contested, true);
    if (s.ok()) {
      ++contested_ok;
    } else if (s.reason() == "already_rated") {
      ++contested_refused;
    } else {
      errors.Add(s);
    }
  });
  EXPECT_EQ(errors.count(), 0) << errors.Summary();
  EXPECT_EQ(contested_ok.load(), kThreads / 2);
  EXPECT_EQ(contested_refused.load(), kThreads / 2);
  struct Want {
    ItemId id;
    int64_t up, down;
  };
  const int64_t ups = kThreads - kThreads / 4;
  for (const Want& w : {Want{liked, ups, kThreads / 4}, Want{disliked, 0, kThreads},
                        Want{contested, kThreads / 2, 0}}) {
    Item item = Read(w.id);
    EXPECT_EQ(item.feedback.up, w.up) << item.name;
    EXPECT_EQ(item.feedback.down, w.down) << item.name;
  }
  EXPECT_EQ(SellerRating(1), (Feedback{ups, kThreads / 4 + kThreads}));
  EXPECT_EQ(SellerRating(2).up, kThreads / 2);
}

INSTANTIATE_TEST_SUITE_P(Engines, ConcurrencyTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return EngineName(info.param);
                         });

}  // namespace
}  // namespace mp::storage
