// The customer DB's side of the purchase saga (docs/purchases.md), on both
// engines: one purchase in flight per cart, a record only for a pending
// attempt, bought units leaving the cart, cart and total limits, and
// recovery's paging through pending attempts.
#include <gtest/gtest.h>

#include <latch>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/types.h"
#include "storage/customer_repository.h"
#include "storage/test_database.h"

namespace mp::storage {
namespace {

using ::mp::storage::testing::EngineName;
using ::mp::storage::testing::TestDatabase;
using Lines = std::vector<std::pair<std::string, int64_t>>;

constexpr v1::Role kBuyer = v1::ROLE_BUYER;

// prefix + n. (GCC 12 warns falsely, -Wrestrict, on "literal" + string.)
std::string Key(std::string prefix, int64_t n) {
  prefix += std::to_string(n);
  return prefix;
}

class PurchaseAttemptTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    auto t = TestDatabase::Create(GetParam());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    test_db_ = std::move(t).value();
    Status migrated = CustomerRepository::Migrate(test_db_->db());
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
    repo_ = std::make_unique<CustomerRepository>(test_db_->db(), clock_, 300'000);
    auto buyer = repo_->CreateAccount(kBuyer, "bob", "$argon2id$hash", "Bob");
    auto seller = repo_->CreateAccount(v1::ROLE_SELLER, "sam", "$argon2id$hash", "Sam");
    ASSERT_TRUE(buyer.ok() && seller.ok());
    buyer_ = *buyer;
    seller_ = *seller;
    session_ = Open("s1");
  }

  v1::SessionRequest Open(const std::string& id) {
    Status s = repo_->CreateSession(id, kBuyer, buyer_);
    EXPECT_TRUE(s.ok()) << s.ToString();
    v1::SessionRequest ref;
    ref.set_session_id(id);
    ref.set_role(kBuyer);
    return ref;
  }

  void Add(const v1::SessionRequest& session, const std::string& item, int64_t quantity) {
    auto cart = repo_->AddToCart(session, item, quantity, /*available=*/1000);
    EXPECT_TRUE(cart.ok()) << cart.status().ToString();
  }

  Lines Cart(const v1::SessionRequest& session) {
    auto cart = repo_->GetCart(session);
    EXPECT_TRUE(cart.ok()) << cart.status().ToString();
    Lines lines;
    if (cart.ok()) {
      for (const auto& l : cart->lines()) lines.emplace_back(l.item_id(), l.quantity());
    }
    return lines;
  }

  // The record the saga sends once the charge is approved: the attempt's
  // lines at `price` each.
  v1::RecordPurchaseRequest Record(const v1::PurchaseAttempt& attempt, int64_t price = 100) {
    v1::RecordPurchaseRequest r;
    r.set_purchase_id(attempt.purchase_id());
    r.set_buyer_id(buyer_);
    r.set_clear_session_id(attempt.session_id());
    for (const v1::CartLine& l : attempt.lines()) {
      v1::PurchaseLine* line = r.add_lines();
      line->set_item_id(l.item_id());
      line->set_seller_id(seller_);
      line->set_quantity(l.quantity());
      line->set_price_cents(price);
    }
    return r;
  }

  int64_t Units(int64_t id, v1::Role role = kBuyer) {
    auto account = repo_->GetAccount(role, id);
    return account.ok() ? account->units() : -1;
  }

  FakeClock clock_;
  std::unique_ptr<TestDatabase> test_db_;
  std::unique_ptr<CustomerRepository> repo_;
  int64_t buyer_ = 0;
  int64_t seller_ = 0;
  v1::SessionRequest session_;
};

TEST_P(PurchaseAttemptTest, ACartHasOnePurchaseInFlight) {
  Add(session_, "1-1", 2);
  auto first = repo_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->state(), v1::PURCHASE_PENDING);

  auto second = repo_->BeginPurchase(session_, "p2");
  EXPECT_EQ(second.status().code(), StatusCode::kAborted) << second.status().ToString();
  EXPECT_EQ(second.status().reason(), "purchase_in_progress");
  auto again = repo_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(again.ok()) << "the same purchase id answers its attempt";
  EXPECT_EQ(again->purchase_id(), "p1");

  // Another session of the same buyer has a cart of its own.
  v1::SessionRequest other = Open("s2");
  Add(other, "1-2", 1);
  EXPECT_TRUE(repo_->BeginPurchase(other, "p3").ok());

  // Once the first is undone, the cart may be bought again.
  ASSERT_TRUE(repo_->FailPurchase("p1", "payment_declined", "declined").ok());
  auto retry = repo_->BeginPurchase(session_, "p2");
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_EQ(retry->state(), v1::PURCHASE_PENDING);
}

// Four (here eight) purchase requests of one cart at the same moment, each
// with its own purchase id: exactly one attempt starts.
TEST_P(PurchaseAttemptTest, ConcurrentBeginsOfOneCartStartOneAttempt) {
  constexpr int kThreads = 8;
  for (int round = 0; round < 4; ++round) {
    v1::SessionRequest session = Open(Key("race", round));
    Add(session, "1-1", 2);
    std::vector<StatusOr<v1::PurchaseAttempt>> results(kThreads, Internal("not run"));
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i] = repo_->BeginPurchase(session, Key(Key("r", round) + "-", i));
      });
    }
    for (std::thread& t : threads) t.join();
    int started = 0;
    for (const auto& r : results) {
      if (r.ok()) {
        ++started;
      } else {
        EXPECT_EQ(r.status().reason(), "purchase_in_progress") << r.status().ToString();
      }
    }
    EXPECT_EQ(started, 1) << "round " << round;
  }
}

TEST_P(PurchaseAttemptTest, RecordRefusesAnAttemptThatWasUndone) {
  Add(session_, "1-1", 2);
  auto attempt = repo_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(attempt.ok());
  ASSERT_TRUE(repo_->FailPurchase("p1", "insufficient_quantity", "gone").ok());
  auto recorded = repo_->RecordPurchase(Record(*attempt));
  EXPECT_EQ(recorded.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(recorded.status().reason(), "purchase_not_pending");
  EXPECT_EQ(Units(buyer_), 0);
  EXPECT_EQ(Units(seller_, v1::ROLE_SELLER), 0);
  EXPECT_EQ(Cart(session_), (Lines{{"1-1", 2}})) << "an undone purchase keeps the cart";
  auto failed = repo_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state(), v1::PURCHASE_FAILED);
}

// What was bought leaves the cart; what was added while the purchase ran
// stays, to be bought next.
TEST_P(PurchaseAttemptTest, ALineAddedDuringAPurchaseStaysInTheCart) {
  Add(session_, "1-1", 2);
  Add(session_, "1-3", 1);
  auto attempt = repo_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(attempt.ok());
  Add(session_, "1-2", 4);  // a new line
  Add(session_, "1-1", 1);  // more units of a line being bought
  auto recorded = repo_->RecordPurchase(Record(*attempt));
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(Cart(session_), (Lines{{"1-1", 1}, {"1-2", 4}}));
  EXPECT_EQ(Units(buyer_), 3);
  // The repeat changes nothing.
  ASSERT_TRUE(repo_->RecordPurchase(Record(*attempt)).ok());
  EXPECT_EQ(Cart(session_), (Lines{{"1-1", 1}, {"1-2", 4}}));
  EXPECT_EQ(Units(buyer_), 3);
}

TEST_P(PurchaseAttemptTest, ACartHoldsAtMostTheDocumentedNumberOfLines) {
  for (int i = 1; i <= kMaxCartLines; ++i) Add(session_, Key("1-", i), 1);
  auto more = repo_->AddToCart(session_, "2-1", 1, 1000);
  EXPECT_EQ(more.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(more.status().reason(), "cart_full");
  auto units = repo_->AddToCart(session_, "1-1", 1, 1000);
  ASSERT_TRUE(units.ok()) << "more units of a line already there: " << units.status().ToString();
  EXPECT_EQ(units->lines_size(), kMaxCartLines);
}

TEST_P(PurchaseAttemptTest, RecordRefusesATotalPastTheMaximum) {
  Add(session_, "1-1", 2);
  auto attempt = repo_->BeginPurchase(session_, "p1");
  ASSERT_TRUE(attempt.ok());
  auto recorded = repo_->RecordPurchase(Record(*attempt, kMaxPriceCents));
  EXPECT_EQ(recorded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Units(buyer_), 0);
}

// Recovery pages through every pending attempt, oldest first, ties broken
// by id, without skipping or repeating one.
TEST_P(PurchaseAttemptTest, PendingAttemptsPageByCursor) {
  std::vector<std::string> begun;
  for (int i = 0; i < 7; ++i) {
    v1::SessionRequest s = Open(Key("page", i));
    Add(s, "1-1", 1);
    std::string id = Key("q", 9 - i);  // ids against time order
    ASSERT_TRUE(repo_->BeginPurchase(s, id).ok());
    begun.push_back(id);
    if (i % 2 == 1) clock_.Advance(10);  // pairs share a created_ms
  }
  clock_.Advance(1000);
  std::vector<std::string> seen;
  int64_t after_ms = 0;
  std::string after_id;
  for (int page = 0; page < 10; ++page) {
    auto attempts = repo_->ListPendingPurchases(clock_.NowMs(), 3, after_ms, after_id);
    ASSERT_TRUE(attempts.ok()) << attempts.status().ToString();
    for (const auto& a : *attempts) seen.push_back(a.purchase_id());
    if (attempts->size() < 3) break;
    after_ms = attempts->back().created_ms();
    after_id = attempts->back().purchase_id();
  }
  // Within a created_ms, by id: q9,q8 share one; q7,q6 the next; ...
  EXPECT_EQ(seen, (std::vector<std::string>{"q8", "q9", "q6", "q7", "q4", "q5", "q3"}));
}

INSTANTIATE_TEST_SUITE_P(Engines, PurchaseAttemptTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& info) { return EngineName(info.param); });

}  // namespace
}  // namespace mp::storage
