// The plans of the product reads whose cost must follow the page, not the
// table (docs/contract.md §5): each is explained on both engines over a
// few hundred items, and a plan that scans a table or sorts where an index
// gives the order fails. On PostgreSQL the planner is told to avoid scans
// and sorts (enable_seqscan, enable_sort off: penalties, not bans), so that
// on a small table a scan or a sort still appears only when no index can
// serve the statement.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "storage/product_repository_test_fixture.h"
#include "storage/product_sql.h"

namespace mp::storage::testing {
namespace {

namespace sql = product_sql;

class ProductPlanTest : public ProductRepositoryTest {
 protected:
  void SetUp() override {
    ProductRepositoryTest::SetUp();
    if (HasFatalFailure()) return;
    // Several sellers, categories and keywords, some items sold out.
    for (int i = 0; i < 300; ++i) {
      Register({.seller = 1 + i % 7,
                .name = Key("item", i),
                .category = 1 + i % 5,
                .keywords = {Key("w", i % 11), Key("x", i % 13)},
                .quantity = i % 4});
    }
  }

  // The plan of `statement` with `params`, one line per step.
  std::vector<std::string> Plan(const Sql& statement, std::initializer_list<Param> params) {
    const bool pg = GetParam() == Engine::kPostgres;
    // The connection's statement cache is keyed by the Sql's address: keep
    // every Sql made here alive as long as the database.
    texts_.push_back((pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") +
                     std::string(pg && statement.postgres ? statement.postgres : statement.text));
    explains_.push_back(Sql{texts_.back().c_str()});
    const Sql& explain = explains_.back();
    std::vector<std::string> lines;
    Status s = test_db_->db().Read([&](Connection& conn) -> Status {
      if (pg) {
        auto set = conn.Exec("SET enable_seqscan = off; SET enable_sort = off");
        if (!set.ok()) return set.status();
      }
      auto rows = conn.Query(explain, params);
      if (!rows.ok()) return rows.status();
      for (const Row& row : *rows) lines.push_back(row.Text(pg ? 0 : 3));
      if (pg) {
        auto reset = conn.Exec("RESET enable_seqscan; RESET enable_sort");
        if (!reset.ok()) return reset.status();
      }
      return Status();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return lines;
  }

  static std::string Joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) out.append(line).append("\n");
    return out;
  }

  // The plan reads `table` through `index` only: no step scans it whole.
  void ExpectIndexed(const std::vector<std::string>& plan, const std::string& table,
                     const std::string& index) {
    const std::string text = Joined(plan);
    EXPECT_NE(text.find(index), std::string::npos) << text;
    if (GetParam() == Engine::kPostgres) {
      EXPECT_EQ(text.find("Seq Scan on " + table), std::string::npos) << text;
    } else {
      // SQLite: "SCAN items" reads the table; "SEARCH items USING INDEX"
      // or "SCAN items USING INDEX" (an index in its order) do not.
      for (const std::string& line : plan) {
        const bool whole = line == "SCAN " + table || (line.starts_with("SCAN " + table + " ") &&
                                                       line.find("USING") == std::string::npos);
        if (whole) {
          ADD_FAILURE() << "scans " << table << ":\n" << text;
        }
      }
    }
  }

  // No step sorts: the index hands the rows over in the statement's order.
  void ExpectNoSort(const std::vector<std::string>& plan) {
    const std::string text = Joined(plan);
    EXPECT_EQ(text.find(GetParam() == Engine::kPostgres ? "Sort" : "TEMP B-TREE"),
              std::string::npos)
        << text;
  }

  // SQLite reads the keyword rows (all of each item's keywords included)
  // from the ranked index alone, without the table. (PostgreSQL's choice
  // of an index-only scan depends on its visibility map, so it is not
  // asked of a table just filled.)
  void ExpectCovered(const std::vector<std::string>& plan) {
    if (GetParam() == Engine::kPostgres) return;
    const std::string text = Joined(plan);
    EXPECT_NE(text.find("COVERING INDEX item_keywords_ranked"), std::string::npos) << text;
  }

  std::deque<std::string> texts_;
  std::deque<Sql> explains_;
};

TEST_P(ProductPlanTest, CategorySearchReadsTheRankedIndexInOrder) {
  auto plan = Plan(sql::kSearchCategory, {int64_t{3}, int64_t{20}, int64_t{0}});
  ExpectIndexed(plan, "items", "items_ranked");
  ExpectNoSort(plan);
}

TEST_P(ProductPlanTest, OneKeywordSearchReadsItsPageFromTheKeywordIndex) {
  auto plan =
      Plan(sql::kSearchKeyword, {int64_t{3}, int64_t{20}, int64_t{0}, std::string_view("w4")});
  ExpectIndexed(plan, "item_keywords", "item_keywords_ranked");
  // The items of the page are found by their key, not by a scan.
  ExpectIndexed(plan, "items",
                GetParam() == Engine::kPostgres ? "items_pkey" : "INTEGER PRIMARY KEY");
}

TEST_P(ProductPlanTest, SeveralKeywordsFirstChunksAreReadFromTheRankedIndexInOrder) {
  auto plan = Plan(sql::kKeywordHeads,
                   {int64_t{3}, std::string_view("w1"), std::string_view("w2"),
                    std::string_view("w3"), std::string_view("x4"), std::string_view("w1"),
                    int64_t{64}, int64_t{64}, int64_t{64}, int64_t{64}, int64_t{0}});
  ExpectIndexed(plan, "item_keywords", "item_keywords_ranked");
  ExpectNoSort(plan);
  EXPECT_EQ(Joined(plan).find("items "), std::string::npos) << Joined(plan);
  ExpectCovered(plan);
}

TEST_P(ProductPlanTest, AKeywordsNextChunkIsReadFromTheRankedIndexInOrder) {
  auto rest = Plan(sql::kKeywordRestOfLevel,
                   {int64_t{3}, std::string_view("w1"), int64_t{0}, int64_t{40}, int64_t{64}});
  ExpectIndexed(rest, "item_keywords", "item_keywords_ranked");
  ExpectNoSort(rest);
  ExpectCovered(rest);
  auto below =
      Plan(sql::kKeywordBelowLevel, {int64_t{3}, std::string_view("w1"), int64_t{0}, int64_t{64}});
  ExpectIndexed(below, "item_keywords", "item_keywords_ranked");
  ExpectNoSort(below);
  ExpectCovered(below);
}

TEST_P(ProductPlanTest, SellersPagesAreReadFromTheirIndex) {
  const bool pg = GetParam() == Engine::kPostgres;
  auto plan = Plan(sql::kSelectItemsOfSellers,
                   {std::string_view(pg ? "{2,3}" : "[2,3]"), int64_t{0}, int64_t{50}});
  ExpectIndexed(plan, "items", "items_by_seller_id");
}

TEST_P(ProductPlanTest, ItemsAreReadByTheirKeys) {
  const bool pg = GetParam() == Engine::kPostgres;
  auto plan = Plan(sql::kSelectItems, {std::string_view(pg ? "{5,6}" : "[5,6]")});
  ExpectIndexed(plan, "items", pg ? "items_pkey" : "INTEGER PRIMARY KEY");
}

INSTANTIATE_TEST_SUITE_P(Engines, ProductPlanTest, kEngines, Name);

}  // namespace
}  // namespace mp::storage::testing
