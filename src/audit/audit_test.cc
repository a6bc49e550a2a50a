#include "audit/audit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "storage/customer_schema.h"
#include "storage/payment_repository.h"
#include "storage/product_repository.h"
#include "storage/test_database.h"

namespace mp::audit {
namespace {

using storage::Connection;
using storage::Database;
using storage::Engine;
using storage::testing::EngineName;
using storage::testing::TestDatabase;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

enum class Db { kCustomer, kProduct, kPayment };

// Items 3-1, 3-2 and 3-3 of sellers 1, 2 and 1; buyers 3 and 4.
struct ItemSpec {
  int64_t seller;
  const char* name;
  int64_t price;
  int64_t quantity;
};
constexpr ItemSpec kItems[] = {{1, "Lamp", 500, 10}, {2, "Chair", 1000, 5}, {1, "Cup", 250, 3}};

Status Exec(Database& db, const std::string& sql) {
  return db.Write([&](Connection& conn) { return conn.Exec(sql).status(); });
}

// The three databases of one test, in one database (as `marketplace up
// --db-url` has them: src/launcher/system.cc) or apart, and a small history
// through every state the saga leaves behind (docs/purchases.md). The product
// and payment sides are written by their repositories as the services do,
// the customer side as RecordPurchase and FailPurchase leave it:
//   p-done        completed and committed: 2 x 3-1, 1 x 3-2 for 20.00
//   p-uncommitted completed, its take still in state 1 (a crash after step 4)
//   p-failed      declined, its take released, the attempt failed
//   p-pending     in flight: stock taken, charge approved, not yet recorded
class World {
 public:
  World(Engine engine, bool shared) : shared_(shared) {
    for (int i = 0; i < (shared ? 1 : 3); ++i) {
      auto t = TestDatabase::Create(engine);
      EXPECT_TRUE(t.ok()) << t.status().ToString();
      if (!t.ok()) return;
      dbs_.push_back(std::move(t).value());
    }
    EXPECT_TRUE(storage::MigrateCustomerDatabase(db(Db::kCustomer)).ok());
    EXPECT_TRUE(storage::ProductRepository::Migrate(db(Db::kProduct)).ok());
    EXPECT_TRUE(storage::PaymentRepository::Migrate(db(Db::kPayment)).ok());
  }

  bool ok() const { return dbs_.size() == (shared_ ? 1u : 3u); }

  Database& db(Db which) { return dbs_[shared_ ? 0 : static_cast<size_t>(which)]->db(); }

  void Write(Db which, const std::string& sql) {
    Status s = Exec(db(which), sql);
    ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << sql;
  }

  void MakeHistory() {
    storage::ProductRepository products(db(Db::kProduct));
    for (const ItemSpec& spec : kItems) {
      auto item = products.RegisterItem({.seller_id = SellerId(spec.seller),
                                         .name = spec.name,
                                         .category = 3,
                                         .keywords = {"thing"},
                                         .condition = storage::Condition::kNew,
                                         .price_cents = spec.price,
                                         .quantity = spec.quantity});
      ASSERT_TRUE(item.ok()) << item.status().ToString();
    }
    ASSERT_TRUE(products.Vote(BuyerId(3), {3, 1}, true).ok());
    ASSERT_TRUE(products.Vote(BuyerId(4), {3, 1}, false).ok());
    ASSERT_TRUE(products.Vote(BuyerId(3), {3, 2}, true).ok());

    auto take = [&](const std::string& id, std::vector<storage::StockLine> lines) {
      auto taken = products.TakeStock(id, lines);
      EXPECT_TRUE(taken.ok()) << taken.status().ToString();
    };
    storage::PaymentRepository payments(db(Db::kPayment));
    auto charge = [&](const std::string& id, bool approved, int64_t cents) {
      auto stored = payments.RecordOnce(
          {id, approved, approved ? "approved" : "declined", cents, "1111", past_});
      EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    };
    take("p-done", {{{3, 1}, 2}, {{3, 2}, 1}});
    charge("p-done", true, 2000);
    ASSERT_TRUE(products.CommitStock("p-done").ok());
    take("p-uncommitted", {{{3, 3}, 1}});
    charge("p-uncommitted", true, 250);
    take("p-failed", {{{3, 1}, 1}});
    charge("p-failed", false, 500);
    ASSERT_TRUE(products.ReleaseStock("p-failed").ok());
    take("p-pending", {{{3, 2}, 1}});
    charge("p-pending", true, 1000);

    std::string past = std::to_string(past_);
    std::string done = std::to_string(past_ + 1000);
    std::string recent = std::to_string(SystemClock().NowMs() - 5000);
    Write(Db::kCustomer,
          "INSERT INTO accounts (id, role, username, name, password_hash, units) VALUES "
          "(1, 1, 's1', 'S1', 'x', 3), (2, 1, 's2', 'S2', 'x', 1), "
          "(3, 2, 'b1', 'B1', 'x', 3), (4, 2, 'b2', 'B2', 'x', 1)");
    Write(Db::kCustomer,
          "INSERT INTO purchase_attempts (purchase_id, buyer_id, session_id, state, "
          "failure_reason, total_cents, created_ms, finished_ms) VALUES "
          "('p-done', 3, 's', 2, '', 2000, " +
              past + ", " + done +
              "), "
              "('p-uncommitted', 4, 's', 2, '', 250, " +
              past + ", " + done +
              "), "
              "('p-failed', 4, 's', 3, 'payment_declined', 0, " +
              past + ", " + done +
              "), "
              "('p-pending', 3, 's', 1, '', 0, " +
              recent + ", 0)");
    Write(Db::kCustomer,
          "INSERT INTO purchase_lines (purchase_id, buyer_id, item_id, seller_id, quantity, "
          "price_cents, time_ms) VALUES "
          "('p-done', 3, '3-1', 1, 2, 500, " +
              done +
              "), "
              "('p-done', 3, '3-2', 2, 1, 1000, " +
              done +
              "), "
              "('p-uncommitted', 4, '3-3', 1, 1, 250, " +
              done + ")");
  }

  AuditReport Run(const AuditOptions& options = {}) {
    auto report = Audit(db(Db::kCustomer), db(Db::kProduct), db(Db::kPayment), options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : AuditReport{};
  }

 private:
  const bool shared_;
  std::vector<std::unique_ptr<TestDatabase>> dbs_;
  const int64_t past_ = SystemClock().NowMs() - 600'000;
};

using Found = std::pair<Invariant, std::string>;

// (invariant, subject) of each violation.
std::vector<Found> Subjects(const AuditReport& report) {
  std::vector<Found> found;
  for (const Violation& v : report.violations) found.emplace_back(v.invariant, v.subject);
  return found;
}

std::vector<std::string> Lines(const AuditReport& report) {
  std::vector<std::string> lines;
  for (const Violation& v : report.violations) lines.push_back(v.ToString());
  return lines;
}

class AuditTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    world_ = std::make_unique<World>(GetParam(), false);
    ASSERT_TRUE(world_->ok());
  }
  std::unique_ptr<World> world_;
};

TEST_P(AuditTest, EmptyDatabasesAreClean) {
  AuditReport report = world_->Run();
  EXPECT_THAT(Lines(report), IsEmpty());
  EXPECT_EQ(report.stats.items, 0);
}

TEST_P(AuditTest, HistoryThroughEverySagaStateIsClean) {
  world_->MakeHistory();
  AuditReport report = world_->Run();
  EXPECT_THAT(Lines(report), IsEmpty());
  EXPECT_EQ(report.stats.items, 3);
  EXPECT_EQ(report.stats.attempts, 4);
  EXPECT_EQ(report.stats.purchases, 2);
  EXPECT_EQ(report.stats.charges, 3);
  EXPECT_EQ(report.stats.stock_takes, 5);
  EXPECT_EQ(report.stats.accounts, 4);
  EXPECT_EQ(report.stats.skipped_in_flight, 1);  // p-pending
}

TEST_P(AuditTest, ZeroPendingBoundReportsEveryPendingAttempt) {
  world_->MakeHistory();
  AuditOptions options;
  options.pending_bound = std::chrono::milliseconds(0);
  EXPECT_THAT(Subjects(world_->Run(options)),
              ElementsAre(Found(Invariant::kPending, "purchase p-pending")));
}

// A purchase that finished moments ago may show in the customer DB a step
// that the payment database, read before it, did not have yet: it is left
// out of the checks across databases, unless in_flight is 0.
TEST_P(AuditTest, RecentlyFinishedAttemptsAreLeftOutOfCrossChecks) {
  world_->MakeHistory();
  world_->Write(Db::kPayment, "DELETE FROM charges WHERE transaction_id = 'p-done'");
  world_->Write(Db::kCustomer, "UPDATE purchase_attempts SET finished_ms = " +
                                   std::to_string(SystemClock().NowMs() - 1000) +
                                   " WHERE purchase_id = 'p-done'");
  EXPECT_THAT(Lines(world_->Run()), IsEmpty());
  AuditOptions at_rest;
  at_rest.in_flight = std::chrono::milliseconds(0);
  EXPECT_THAT(Subjects(world_->Run(at_rest)),
              Contains(Found(Invariant::kCharges, "purchase p-done")));
}

TEST_P(AuditTest, ADatabaseOfAnotherServiceIsRefused) {
  auto report = Audit(world_->db(Db::kProduct), world_->db(Db::kProduct), world_->db(Db::kPayment));
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr("customer DB"));
}

INSTANTIATE_TEST_SUITE_P(Engines, AuditTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return EngineName(info.param);
                         });

class SharedAuditTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    world_ = std::make_unique<World>(GetParam(), true);
    ASSERT_TRUE(world_->ok());
  }
  std::unique_ptr<World> world_;
};

TEST_P(SharedAuditTest, HistoryInOneDatabaseIsClean) {
  world_->MakeHistory();
  EXPECT_THAT(Lines(world_->Run()), IsEmpty());
}

TEST_P(SharedAuditTest, BrokenChargeInOneDatabaseIsReported) {
  world_->MakeHistory();
  world_->Write(Db::kPayment,
                "UPDATE charges SET amount_cents = 1 WHERE transaction_id = 'p-done'");
  EXPECT_THAT(Subjects(world_->Run()), Contains(Found(Invariant::kCharges, "purchase p-done")));
}

INSTANTIATE_TEST_SUITE_P(Engines, SharedAuditTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return EngineName(info.param);
                         });

// One invariant broken on purpose with a direct write, and what the audit
// must then name (among what else the break implies).
struct Break {
  const char* name;
  Db db;
  const char* sql;
  Invariant invariant;
  const char* subject;
};

const Break kBreaks[] = {
    // 1: units out of sale vs units in purchase lines, per item.
    {"TakeShorterThanItsLine", Db::kProduct,
     "UPDATE stock_takes SET quantity = 1 WHERE purchase_id = 'p-done' AND item_id = 1",
     Invariant::kStock, "item 3-1"},
    {"TakeShorterNamesItsPurchase", Db::kProduct,
     "UPDATE stock_takes SET quantity = 1 WHERE purchase_id = 'p-done' AND item_id = 1",
     Invariant::kStock, "purchase p-done"},
    {"LineLongerThanItsTake", Db::kCustomer,
     "UPDATE purchase_lines SET quantity = 3 WHERE purchase_id = 'p-done' AND item_id = '3-1'",
     Invariant::kStock, "item 3-1"},
    {"CompletedPurchaseGivenBack", Db::kProduct,
     "UPDATE stock_takes SET state = 2 WHERE purchase_id = 'p-uncommitted'", Invariant::kStock,
     "purchase p-uncommitted"},
    {"TakeWithoutAttempt", Db::kProduct,
     "INSERT INTO stock_takes (purchase_id, item_id, quantity, price_cents, seller_id, name, "
     "state) VALUES ('p-ghost', 2, 1, 1000, 2, 'Chair', 1)",
     Invariant::kStock, "item 3-2"},
    {"PendingTakeCommitted", Db::kProduct,
     "UPDATE stock_takes SET state = 3 WHERE purchase_id = 'p-pending'", Invariant::kStock,
     "purchase p-pending"},
    // 2: approved charges vs purchase records.
    {"ChargeOfAnotherAmount", Db::kPayment,
     "UPDATE charges SET amount_cents = 1999 WHERE transaction_id = 'p-done'", Invariant::kCharges,
     "purchase p-done"},
    {"CompletedWithoutCharge", Db::kPayment,
     "DELETE FROM charges WHERE transaction_id = 'p-uncommitted'", Invariant::kCharges,
     "purchase p-uncommitted"},
    {"ChargeWithoutPurchase", Db::kPayment,
     "INSERT INTO charges (transaction_id, approved, reason, amount_cents, card_last4, time_ms) "
     "VALUES ('p-ghost', 1, 'approved', 700, '1111', 1)",
     Invariant::kCharges, "purchase p-ghost"},
    {"AttemptTotalDiffersFromLines", Db::kCustomer,
     "UPDATE purchase_attempts SET total_cents = 1 WHERE purchase_id = 'p-done'",
     Invariant::kCharges, "purchase p-done"},
    {"CompletedWithoutLines", Db::kCustomer,
     "DELETE FROM purchase_lines WHERE purchase_id = 'p-uncommitted'", Invariant::kCharges,
     "purchase p-uncommitted"},
    {"LinesWithoutAttempt", Db::kCustomer,
     "INSERT INTO purchase_lines (purchase_id, buyer_id, item_id, seller_id, quantity, "
     "price_cents, time_ms) VALUES ('p-ghost', 3, '3-2', 2, 1, 1000, 1)",
     Invariant::kCharges, "purchase p-ghost"},
    // 3: items_sold / items_purchased vs purchase lines.
    {"SellerUnitsOff", Db::kCustomer, "UPDATE accounts SET units = 7 WHERE id = 1",
     Invariant::kUnits, "account 1"},
    {"BuyerUnitsOff", Db::kCustomer, "UPDATE accounts SET units = 0 WHERE id = 4",
     Invariant::kUnits, "account 4"},
    // 4: feedback vs votes, seller rating vs its items.
    {"ItemFeedbackOff", Db::kProduct, "UPDATE items SET up = 5 WHERE id = 2", Invariant::kFeedback,
     "item 3-2"},
    {"VoteLost", Db::kProduct, "DELETE FROM votes WHERE buyer_id = 4 AND item_id = 1",
     Invariant::kFeedback, "item 3-1"},
    {"SellerRatingOff", Db::kProduct, "UPDATE seller_ratings SET down = 9 WHERE seller_id = 2",
     Invariant::kFeedback, "seller 2"},
    {"SellerRatingLost", Db::kProduct, "DELETE FROM seller_ratings WHERE seller_id = 1",
     Invariant::kFeedback, "seller 1"},
    // 5: pending past the bound.
    {"PendingTooLong", Db::kCustomer,
     "UPDATE purchase_attempts SET created_ms = created_ms - 600000 "
     "WHERE purchase_id = 'p-pending'",
     Invariant::kPending, "purchase p-pending"},
    // 6: a failed attempt leaves nothing behind.
    {"FailedHoldsStock", Db::kProduct,
     "UPDATE stock_takes SET state = 1 WHERE purchase_id = 'p-failed'", Invariant::kFailed,
     "purchase p-failed"},
    {"FailedButCharged", Db::kPayment,
     "UPDATE charges SET approved = 1 WHERE transaction_id = 'p-failed'", Invariant::kFailed,
     "purchase p-failed"},
    {"FailedWithLines", Db::kCustomer,
     "INSERT INTO purchase_lines (purchase_id, buyer_id, item_id, seller_id, quantity, "
     "price_cents, time_ms) VALUES ('p-failed', 4, '3-1', 1, 1, 500, 1)",
     Invariant::kFailed, "purchase p-failed"},
};

void PrintTo(const Break& b, std::ostream* os) { *os << b.name; }

class AuditBreakTest : public ::testing::TestWithParam<std::tuple<Engine, Break>> {};

TEST_P(AuditBreakTest, IsReportedWithItsIds) {
  const auto& [engine, broken] = GetParam();
  World world(engine, false);
  ASSERT_TRUE(world.ok());
  world.MakeHistory();
  ASSERT_THAT(Lines(world.Run()), IsEmpty());
  world.Write(broken.db, broken.sql);
  AuditReport report = world.Run();
  EXPECT_THAT(Subjects(report), Contains(Found(broken.invariant, broken.subject)))
      << ::testing::PrintToString(Lines(report));
}

INSTANTIATE_TEST_SUITE_P(Engines, AuditBreakTest,
                         ::testing::Combine(::testing::Values(Engine::kSqlite, Engine::kPostgres),
                                            ::testing::ValuesIn(kBreaks)),
                         [](const auto& info) {
                           return EngineName(std::get<0>(info.param)) + "_" +
                                  std::get<1>(info.param).name;
                         });

}  // namespace
}  // namespace mp::audit
