#pragma once
// The ProductRepository tests' fixture, on both engines (product_repository_test.cc,
// product_stock_test.cc).

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "common/types.h"
#include "storage/product_repository.h"
#include "storage/test_database.h"

namespace mp::storage::testing {

using StockLines = std::vector<std::pair<ItemId, int64_t>>;
// Names and scores of search results, in order.
using Hits = std::vector<std::pair<std::string, int>>;
using Votes = std::pair<int64_t, int64_t>;  // up, down
// item_id, quantity, price_cents, seller_id, name
using Taken = std::tuple<std::string, int64_t, int64_t, int64_t, std::string>;

// prefix + n. (GCC 12 warns falsely, -Wrestrict, on "literal" + string.)
inline std::string Key(std::string prefix, int64_t n) {
  prefix += std::to_string(n);
  return prefix;
}

struct ItemSpec {
  int64_t seller = 1;
  std::string name = "Red shoe";
  int64_t category = 3;
  std::vector<std::string> keywords = {"red", "shoe"};
  v1::Condition condition = v1::CONDITION_NEW;
  int64_t price = 1999;
  int64_t quantity = 5;
};

inline v1::RegisterItemRequest ToRequest(const ItemSpec& spec) {
  v1::RegisterItemRequest r;
  r.set_seller_id(spec.seller);
  r.set_name(spec.name);
  r.set_category(spec.category);
  for (const auto& k : spec.keywords) r.add_keywords(k);
  r.set_condition(spec.condition);
  r.set_price_cents(spec.price);
  r.set_quantity(spec.quantity);
  return r;
}

inline ItemId Id(const v1::Item& item) {
  auto id = ItemId::Parse(item.id());
  EXPECT_TRUE(id.ok()) << item.id();
  return id.ok() ? *id : ItemId{};
}

inline std::vector<std::string> Normalized(const std::vector<std::string>& words) {
  auto k = NormalizeKeywords(words);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? *k : std::vector<std::string>{};
}

inline std::vector<Taken> TakenLines(const v1::TakeStockResponse& r) {
  std::vector<Taken> lines;
  for (const auto& l : r.lines()) {
    lines.emplace_back(l.item_id(), l.quantity(), l.price_cents(), l.seller_id(), l.name());
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

class ProductRepositoryTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    auto t = TestDatabase::Create(GetParam());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    test_db_ = std::move(t).value();
    Status migrated = ProductRepository::Migrate(test_db_->db());
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
    repo_ = std::make_unique<ProductRepository>(test_db_->db());
  }

  v1::Item Register(const ItemSpec& spec) {
    auto item = repo_->RegisterItem(ToRequest(spec));
    EXPECT_TRUE(item.ok()) << item.status().ToString();
    return item.ok() ? *item : v1::Item();
  }

  int64_t Quantity(const v1::Item& item) {
    auto read = repo_->GetItem(Id(item));
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    return read.ok() ? read->quantity() : -1;
  }

  Hits Search(int64_t category, const std::vector<std::string>& keywords, int limit = 50,
              int offset = 0) {
    auto found = repo_->Search(category, Normalized(keywords), limit, offset);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    Hits out;
    if (!found.ok()) return out;
    for (const auto& s : found->items()) {
      EXPECT_EQ(s.item().category(), category);
      EXPECT_GT(s.item().quantity(), 0);
      out.emplace_back(s.item().name(), s.score());
    }
    return out;
  }

  void VoteOk(BuyerId buyer, const v1::Item& item, bool up) {
    Status s = repo_->Vote(buyer, Id(item), up);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  Votes ItemVotes(const v1::Item& item) {
    auto read = repo_->GetItem(Id(item));
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    return {read->feedback().up(), read->feedback().down()};
  }

  Votes SellerVotes(SellerId seller) {
    auto rating = repo_->GetSellerRating(seller);
    EXPECT_TRUE(rating.ok()) << rating.status().ToString();
    return {rating->up(), rating->down()};
  }

  std::unique_ptr<TestDatabase> test_db_;
  std::unique_ptr<ProductRepository> repo_;
};

const auto kEngines = ::testing::Values(Engine::kSqlite, Engine::kPostgres);
inline std::string Name(const ::testing::TestParamInfo<Engine>& info) {
  return EngineName(info.param);
}

}  // namespace mp::storage::testing
