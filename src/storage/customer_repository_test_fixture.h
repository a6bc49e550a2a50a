// The fixture of the tests of the customer database's repositories on both
// engines (customer_repository_test.cc, purchase_attempt_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "storage/account_repository.h"
#include "storage/cart_repository.h"
#include "storage/customer_schema.h"
#include "storage/purchase_repository.h"
#include "storage/session_repository.h"
#include "storage/test_database.h"

namespace mp::storage::testing {

using Lines = std::vector<std::pair<std::string, int64_t>>;

// prefix + n. (GCC 12 warns falsely, -Wrestrict, on "literal" + string.)
inline std::string Key(std::string prefix, int64_t n) {
  prefix += std::to_string(n);
  return prefix;
}

inline constexpr int64_t kTimeoutMs = 300'000;
// How long past the timeout a session may live (session_repository.h).
inline constexpr int64_t kSlackMs = SessionRules::TouchIntervalMs(kTimeoutMs);
inline constexpr Role kBuyer = Role::kBuyer;
inline constexpr Role kSeller = Role::kSeller;

inline const Sql kSelectLastActive{"SELECT last_active_ms FROM sessions WHERE id = $1"};
inline const Sql kCountSessionRows{
    "SELECT (SELECT COUNT(*) FROM sessions WHERE id = $1) + "
    "(SELECT COUNT(*) FROM cart_lines WHERE session_id = $1)"};

inline SessionKey Ref(const std::string& id, Role role) { return {id, role}; }

// An item id written as text ("3-1"), as tests name them.
inline ItemId ItemOf(const std::string& text) {
  auto id = ItemId::Parse(text);
  EXPECT_TRUE(id.ok()) << text;
  return id.ok() ? *id : ItemId{};
}

inline Lines LinesOf(const std::vector<CartLine>& cart_lines) {
  Lines lines;
  for (const CartLine& line : cart_lines)
    lines.emplace_back(line.item_id.ToString(), line.quantity);
  return lines;
}
inline Lines LinesOf(const Cart& cart) { return LinesOf(cart.lines); }

inline PurchaseLine Line(const std::string& item, int64_t seller, int64_t quantity,
                         int64_t price_cents) {
  return {ItemOf(item), SellerId(seller), quantity, price_cents};
}

inline PurchaseRecord Purchase(const std::string& id, int64_t buyer,
                               const std::vector<PurchaseLine>& lines,
                               const std::string& clear_session = "") {
  return {id, BuyerId(buyer), lines, clear_session};
}

class CustomerRepositoryTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    auto t = TestDatabase::Create(GetParam());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    test_db_ = std::move(t).value();
    Status migrated = MigrateCustomerDatabase(test_db_->db());
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
    accounts_ = std::make_unique<AccountRepository>(test_db_->db());
    sessions_ = std::make_unique<SessionRepository>(test_db_->db(), clock_, kTimeoutMs);
    carts_ = std::make_unique<CartRepository>(test_db_->db(), *sessions_);
    purchases_ = std::make_unique<PurchaseRepository>(test_db_->db(), *sessions_);
    buyer_ = NewAccount(kBuyer, "bob");
  }

  int64_t NewAccount(Role role, const std::string& username) {
    auto id = accounts_->CreateAccount(role, username, "$argon2id$hash", "Name");
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? id->value : 0;
  }

  // Opens a buyer session of buyer_ unless told otherwise.
  SessionKey Open(const std::string& id, Role role = kBuyer, int64_t user_id = 0) {
    Status s = sessions_->CreateSession(id, role, UserId(user_id ? user_id : buyer_));
    EXPECT_TRUE(s.ok()) << s.ToString();
    return Ref(id, role);
  }

  Lines CartOf(const SessionKey& session) {
    auto cart = carts_->GetCart(session);
    EXPECT_TRUE(cart.ok()) << cart.status().ToString();
    return cart.ok() ? LinesOf(*cart) : Lines{};
  }

  void Add(const SessionKey& session, const std::string& item, int64_t quantity) {
    auto cart = carts_->AddToCart(session, ItemOf(item), quantity, /*available=*/1000);
    EXPECT_TRUE(cart.ok()) << cart.status().ToString();
  }

  int64_t Units(Role role, int64_t id) {
    auto account = accounts_->GetAccount(role, UserId(id));
    EXPECT_TRUE(account.ok()) << account.status().ToString();
    return account.ok() ? account->units : -1;
  }

  // A single integer read straight from the database.
  int64_t Scalar(const Sql& sql, const std::string& arg) {
    int64_t value = -1;
    Status s = test_db_->db().Read([&](Connection& conn) -> Status {
      MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(sql, {arg}));
      if (!rows.empty()) value = rows[0].Int(0);
      return Status();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

  FakeClock clock_;
  std::unique_ptr<TestDatabase> test_db_;
  std::unique_ptr<AccountRepository> accounts_;
  std::unique_ptr<SessionRepository> sessions_;
  std::unique_ptr<CartRepository> carts_;
  std::unique_ptr<PurchaseRepository> purchases_;
  int64_t buyer_ = 0;
};

}  // namespace mp::storage::testing
