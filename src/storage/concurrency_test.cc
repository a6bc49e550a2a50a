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

v1::RegisterItemRequest Item(SellerId seller, const std::string& name, int64_t quantity) {
  v1::RegisterItemRequest r;
  r.set_seller_id(seller);
  r.set_name(name);
  r.set_category(1);
  r.add_keywords("lamp");
  r.set_condition(v1::CONDITION_NEW);
  r.set_price_cents(500);
  r.set_quantity(quantity);
  return r;
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
    RunTogether([&](int) { (void)products_->GetSellerRating(1); });
  }

  ItemId Register(SellerId seller, const std::string& name, int64_t quantity) {
    auto item = products_->RegisterItem(Item(seller, name, quantity));
    EXPECT_TRUE(item.ok()) << item.status().ToString();
    return item.ok() ? *ItemId::Parse(item->id()) : ItemId{};
  }

  int64_t Quantity(const ItemId& id) {
    auto item = products_->GetItem(id);
    EXPECT_TRUE(item.ok()) << item.status().ToString();
    return item.ok() ? item->quantity() : -1;
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
        s = products_->WithdrawUnits(1, id, q).status();
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
      std::vector<std::pair<ItemId, int64_t>> lines = {{a, 1}, {b, 1}};
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
    if (r->lines_size() == 2) ++answered;
  });
  EXPECT_EQ(errors.count(), 0) << errors.Summary();
  EXPECT_EQ(answered.load(), kThreads);
  EXPECT_EQ(Quantity(a), 8);
  EXPECT_EQ(Quantity(b), 7);
}

TEST_P(ConcurrencyTest, AddsToOneCartNeverExceedAvailable) {
  constexpr int64_t kAvailable = 50;
  constexpr int kAddsPerThread = 4;  // 128 units asked for
  auto buyer = accounts_->CreateAccount(v1::ROLE_BUYER, "bob", "h", "Bob");
  ASSERT_TRUE(buyer.ok()) << buyer.status().ToString();
  ASSERT_TRUE(sessions_->CreateSession("s1", v1::ROLE_BUYER, *buyer).ok());
  v1::SessionRequest session;
  session.set_session_id("s1");
  session.set_role(v1::ROLE_BUYER);
  std::atomic<int64_t> added{0};
  Errors errors;
  RunTogether([&](int) {
    for (int j = 0; j < kAddsPerThread; ++j) {
      auto cart = carts_->AddToCart(session, "1-1", 1, kAvailable);
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
  ASSERT_EQ(cart->lines_size(), 1);
  int64_t in_cart = cart->lines(0).quantity();
  EXPECT_LE(in_cart, kAvailable);
  EXPECT_EQ(in_cart, added.load()) << "an add was lost";
  EXPECT_EQ(in_cart, kAvailable);
}

TEST_P(ConcurrencyTest, RepeatsOfOnePurchaseRecordItOnce) {
  auto buyer = accounts_->CreateAccount(v1::ROLE_BUYER, "bob", "h", "Bob");
  auto seller = accounts_->CreateAccount(v1::ROLE_SELLER, "sue", "h", "Sue");
  ASSERT_TRUE(buyer.ok() && seller.ok());
  v1::RecordPurchaseRequest request;
  request.set_purchase_id("p1");
  request.set_buyer_id(*buyer);
  for (const char* item : {"1-1", "1-2"}) {
    v1::PurchaseLine* line = request.add_lines();
    line->set_item_id(item);
    line->set_seller_id(*seller);
    line->set_quantity(2);
    line->set_price_cents(100);
  }
  std::mutex mu;
  std::set<int64_t> times;
  Errors errors;
  RunTogether([&](int t) {
    if (t % 2) clock_.Advance(1);  // a repeat must answer the first time
    auto r = purchases_->RecordPurchase(request);
    if (!r.ok()) return errors.Add(r.status());
    std::lock_guard lock(mu);
    times.insert(r->time_ms());
  });
  EXPECT_EQ(errors.count(), 0) << errors.Summary();
  EXPECT_EQ(times.size(), 1u);
  EXPECT_EQ(accounts_->GetAccount(v1::ROLE_BUYER, *buyer)->units(), 4);
  EXPECT_EQ(accounts_->GetAccount(v1::ROLE_SELLER, *seller)->units(), 4);
  EXPECT_EQ(*purchases_->GetPurchasedQuantity(*buyer, "1-1"), 2);
}

TEST_P(ConcurrencyTest, EqualRegistrationsMergeIntoOneItem) {
  constexpr int kPerThread = 3;
  std::atomic<int64_t> total[2] = {0, 0};
  std::mutex mu;
  std::set<std::string> ids[2];
  Errors errors;
  RunTogether([&](int t) {
    SellerId seller = 1 + t % 2;  // two sellers, each with its own item
    for (int j = 0; j < kPerThread; ++j) {
      int64_t q = 1 + (t + j) % 4;
      auto item = products_->RegisterItem(Item(seller, "Lamp", q));
      if (!item.ok()) {
        errors.Add(item.status());
        continue;
      }
      total[seller - 1] += q;
      std::lock_guard lock(mu);
      ids[seller - 1].insert(item->id());
    }
  });
  EXPECT_EQ(errors.count(), 0) << errors.Summary();
  for (SellerId seller : {1, 2}) {
    EXPECT_EQ(ids[seller - 1].size(), 1u) << "seller " << seller;
    auto items = products_->ListSellerItems(seller);
    ASSERT_TRUE(items.ok()) << items.status().ToString();
    ASSERT_EQ(items->size(), 1u) << "seller " << seller;
    EXPECT_EQ((*items)[0].quantity(), total[seller - 1].load());
    EXPECT_EQ((*items)[0].id(), *ids[seller - 1].begin());
  }
}

TEST_P(ConcurrencyTest, VotesOfDistinctBuyersCountExactly) {
  ItemId liked = Register(1, "Liked", 1);
  ItemId disliked = Register(1, "Disliked", 1);
  ItemId contested = Register(2, "Contested", 1);
  std::atomic<int> contested_ok{0}, contested_refused{0};
  Errors errors;
  RunTogether([&](int t) {
    BuyerId buyer = 100 + t;
    for (Status s :
         {products_->Vote(buyer, liked, t % 4 != 0), products_->Vote(buyer, disliked, false)}) {
      if (!s.ok()) errors.Add(s);
    }
    // Two threads vote as the same buyer: one wins, one is refused.
    Status s = products_->Vote(1000 + t % (kThreads / 2), contested, true);
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
    auto item = products_->GetItem(w.id);
    ASSERT_TRUE(item.ok()) << item.status().ToString();
    EXPECT_EQ(item->feedback().up(), w.up) << item->name();
    EXPECT_EQ(item->feedback().down(), w.down) << item->name();
  }
  auto seller1 = products_->GetSellerRating(1);
  ASSERT_TRUE(seller1.ok());
  EXPECT_EQ(seller1->up(), ups);
  EXPECT_EQ(seller1->down(), kThreads / 4 + kThreads);
  EXPECT_EQ(products_->GetSellerRating(2)->up(), kThreads / 2);
}

INSTANTIATE_TEST_SUITE_P(Engines, ConcurrencyTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return EngineName(info.param);
                         });

}  // namespace
}  // namespace mp::storage
