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

using StockLines = std::vector<StockLine>;
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
  Condition condition = Condition::kNew;
  int64_t price = 1999;
  int64_t quantity = 5;
};

inline NewItem ToNewItem(const ItemSpec& spec) {
  return {.seller_id = SellerId(spec.seller),
          .name = spec.name,
          .category = spec.category,
          .keywords = spec.keywords,
          .condition = spec.condition,
          .price_cents = spec.price,
          .quantity = spec.quantity};
}

inline ItemId Id(const Item& item) { return item.id; }

inline std::vector<std::string> Normalized(const std::vector<std::string>& words) {
  auto k = NormalizeKeywords(words);
  EXPECT_TRUE(k.ok()) << k.status().ToString();
  return k.ok() ? *k : std::vector<std::string>{};
}

inline std::vector<Taken> TakenLines(const std::vector<TakenLine>& r) {
  std::vector<Taken> lines;
  for (const auto& l : r) {
    lines.emplace_back(l.item_id.ToString(), l.quantity, l.price_cents, l.seller_id.value, l.name);
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

  Item Register(const ItemSpec& spec) {
    auto item = repo_->RegisterItem(ToNewItem(spec));
    EXPECT_TRUE(item.ok()) << item.status().ToString();
    return item.ok() ? *item : Item();
  }

  // The single reads, over the batched ones the service uses.
  StatusOr<Item> GetItem(const ItemId& id) {
    MP_ASSIGN_OR_RETURN(std::vector<Item> items, repo_->GetItems({id}));
    if (items.empty()) return NotFound(ItemNotFound(id));
    return items[0];
  }
  StatusOr<std::vector<Item>> SellerItems(int64_t seller, int limit = kDefaultSearchLimit,
                                          int offset = 0) {
    MP_ASSIGN_OR_RETURN(auto lists, repo_->ListItemsOfSellers({SellerId(seller)}, limit, offset));
    auto it = lists.find(SellerId(seller));
    return it == lists.end() ? std::vector<Item>() : it->second;
  }
  StatusOr<Feedback> SellerRating(int64_t seller) {
    MP_ASSIGN_OR_RETURN(auto ratings, repo_->GetSellerRatings({SellerId(seller)}));
    auto it = ratings.find(SellerId(seller));
    return it == ratings.end() ? Feedback() : it->second;
  }

  int64_t Quantity(const Item& item) {
    auto read = GetItem(item.id);
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    return read.ok() ? read->quantity : -1;
  }

  Hits Search(int64_t category, const std::vector<std::string>& keywords, int limit = 50,
              int offset = 0) {
    auto found = repo_->Search(category, Normalized(keywords), limit, offset);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    Hits out;
    if (!found.ok()) return out;
    for (const ScoredItem& s : *found) {
      EXPECT_EQ(s.item.category, category);
      EXPECT_GT(s.item.quantity, 0);
      out.emplace_back(s.item.name, s.score);
    }
    return out;
  }

  void VoteOk(int64_t buyer, const Item& item, bool up) {
    Status s = repo_->Vote(BuyerId(buyer), item.id, up);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  Votes ItemVotes(const Item& item) {
    auto read = GetItem(item.id);
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    return read.ok() ? Votes{read->feedback.up, read->feedback.down} : Votes{-1, -1};
  }

  Votes SellerVotes(int64_t seller) {
    auto rating = SellerRating(seller);
    EXPECT_TRUE(rating.ok()) << rating.status().ToString();
    return rating.ok() ? Votes{rating->up, rating->down} : Votes{-1, -1};
  }

  std::unique_ptr<TestDatabase> test_db_;
  std::unique_ptr<ProductRepository> repo_;
};

const auto kEngines = ::testing::Values(Engine::kSqlite, Engine::kPostgres);
inline std::string Name(const ::testing::TestParamInfo<Engine>& info) {
  return EngineName(info.param);
}

}  // namespace mp::storage::testing
