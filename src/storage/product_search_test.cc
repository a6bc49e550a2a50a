// Several-keyword search against a model of the catalogue: the ranking of
// docs/contract.md ("Search") computed from what the test registered and
// voted, on both engines, over words of very different frequencies, pages
// at every depth and items sold out, with the repository's chunks made
// small so that one search takes many rounds of reading.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "storage/product_repository_test_fixture.h"

namespace mp::storage::testing {
namespace {

constexpr int64_t kCat = 4;

class ProductSearchTest : public ProductRepositoryTest {
 protected:
  struct Model {
    std::string name;
    int64_t number = 0;
    std::set<std::string> keywords;
    int64_t net_votes = 0;
    bool for_sale = true;
  };

  // `count` items whose words are drawn with the given odds (word i with
  // odds[i] in a thousand), some sold out, with net votes from -3 to +4.
  void Fill(int count, const std::vector<std::pair<std::string, int>>& odds, bool vote = true) {
    std::mt19937 random(17);
    for (int i = 0; i < count; ++i) {
      Model m;
      m.name = Key("item", i);
      for (const auto& [word, per_mille] : odds) {
        if (static_cast<int>(random() % 1000) < per_mille) m.keywords.insert(word);
      }
      if (m.keywords.empty()) m.keywords.insert("filler");
      Item item = Register({.seller = 1 + i % 3,
                            .name = m.name,
                            .category = kCat,
                            .keywords = {m.keywords.begin(), m.keywords.end()},
                            .quantity = i % 9 == 0 ? 0 : 1 + i % 3});
      m.number = Id(item).number;
      m.for_sale = item.quantity > 0;
      // A few votes each, so that ranks tie and differ.
      const int up = vote ? static_cast<int>(random() % 5) : 0;
      const int down = vote ? static_cast<int>(random() % 4) : 0;
      for (int b = 0; b < up + down; ++b) VoteOk(100 + b, item, b < up);
      m.net_votes = up - down;
      models_.push_back(m);
    }
    // Items of another category with the same words never show.
    Register({.name = "elsewhere", .category = kCat + 1, .keywords = {"common", "rare"}});
  }

  // The page of the contract's ranking, from the model.
  Hits Expected(const std::vector<std::string>& query, int limit, int offset) const {
    std::vector<std::tuple<int, int64_t, int64_t, std::string>> ranked;  // -score, -votes, id
    for (const Model& m : models_) {
      int score = 0;
      for (const std::string& word : query) score += m.keywords.count(word) ? 1 : 0;
      if (m.for_sale && score > 0) ranked.emplace_back(-score, -m.net_votes, m.number, m.name);
    }
    std::sort(ranked.begin(), ranked.end());
    Hits hits;
    for (size_t i = offset; i < ranked.size() && i < static_cast<size_t>(offset + limit); ++i) {
      hits.emplace_back(std::get<3>(ranked[i]), -std::get<0>(ranked[i]));
    }
    return hits;
  }

  Hits SearchWith(ProductRepository& repo, const std::vector<std::string>& query, int limit,
                  int offset) {
    auto found = repo.Search(kCat, query, limit, offset);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    Hits out;
    if (!found.ok()) return out;
    for (const auto& s : *found) out.emplace_back(s.item.name, s.score);
    return out;
  }

  std::vector<Model> models_;
};

TEST_P(ProductSearchTest, SeveralKeywordsRankAsTheContractSaysWhateverTheChunk) {
  Fill(160, {{"common", 700}, {"often", 450}, {"some", 150}, {"rare", 40}, {"once", 8}});
  const std::vector<std::vector<std::string>> queries = {
      {"common", "often"},
      {"common", "rare"},
      {"once", "rare"},
      {"often", "some", "rare"},
      {"common", "often", "some"},
      {"common", "often", "some", "rare", "once"},
      {"common", "missing"},
      {"missing", "nothing"},
  };
  const std::pair<int, int> pages[] = {{1, 0},  {3, 2},   {10, 0}, {7, 20},
                                       {50, 0}, {500, 0}, {5, 150}};
  // Chunk 1: every list is read a row at a time after its first, so the
  // rounds, the membership questions and the stopping rule all run.
  for (int chunk : {1, 3, 16, ProductRepository::kSearchChunk}) {
    ProductRepository repo(test_db_->db(), chunk);
    for (const auto& query : queries) {
      std::vector<std::string> sorted = query;
      std::sort(sorted.begin(), sorted.end());
      for (const auto& [limit, offset] : pages) {
        EXPECT_EQ(SearchWith(repo, sorted, limit, offset), Expected(query, limit, offset))
            << ::testing::PrintToString(query) << " limit " << limit << " offset " << offset
            << " chunk " << chunk;
      }
    }
  }
}

// The cost of a search follows its page: with two words in every one of
// 800 items, the first page is found from the first chunk of each list and
// the few items of the rare words asked about, not from the 1,600 rows of
// the two common lists that a full read takes.
TEST_P(ProductSearchTest, ASearchOfCommonWordsReadsAboutItsPage) {
  Fill(800, {{"common", 1000}, {"often", 1000}, {"some", 50}, {"rare", 10}}, /*vote=*/false);
  const uint64_t before = repo_->keyword_rows_read();
  std::vector<std::string> query = {"common", "often", "rare", "some"};
  EXPECT_EQ(Search(kCat, query, 10, 0), Expected(query, 10, 0));
  const uint64_t read = repo_->keyword_rows_read() - before;
  EXPECT_LT(read, 600u);
  EXPECT_GT(read, 0u);
  // Two common words alone: the items with both come first, found within
  // the lists' first chunks.
  const uint64_t again = repo_->keyword_rows_read();
  query = {"common", "often"};
  EXPECT_EQ(Search(kCat, query, 20, 0), Expected(query, 20, 0));
  EXPECT_LT(repo_->keyword_rows_read() - again, 600u);
}

// Two words, each on a tenth of 2,000 items and seldom together (one item
// in a hundred has both): the page of items with both is found by reading
// on down both lists, well before every match of either is read, even
// though no item of the page turns up in their first chunks.
TEST_P(ProductSearchTest, ARarePairOfCommonWordsIsFoundWithoutReadingEveryMatch) {
  Fill(2000, {{"alpha", 100}, {"beta", 100}}, /*vote=*/false);
  ProductRepository repo(test_db_->db(), 8);
  const std::vector<std::string> query = {"alpha", "beta"};
  const uint64_t before = repo.keyword_rows_read();
  EXPECT_EQ(SearchWith(repo, query, 3, 0), Expected(query, 3, 0));
  const uint64_t read = repo.keyword_rows_read() - before;
  // Every match of both: about 400 rows.
  EXPECT_LT(read, 250u);
  EXPECT_GT(read, 0u);
}

// Five words of falling frequency in 2,000 items (2,300 matches): the
// rare words' lists end within their first chunks, and the items with
// the most of the words are then found a little way down one common
// list, not by reading every match of all five.
TEST_P(ProductSearchTest, FiveWordsAreScoredFromAFewChunksNotEveryMatch) {
  const std::vector<std::pair<std::string, int>> odds = {
      {"alpha", 600}, {"beta", 400}, {"gamma", 250}, {"delta", 40}, {"eps", 10}};
  Fill(2000, odds, /*vote=*/false);
  ProductRepository repo(test_db_->db(), 32);
  const std::vector<std::string> query = {"alpha", "beta", "delta", "eps", "gamma"};
  uint64_t matches = 0;
  for (const Model& m : models_) {
    for (const auto& [word, per_mille] : odds) matches += m.for_sale && m.keywords.count(word);
  }
  const uint64_t before = repo.keyword_rows_read();
  EXPECT_EQ(SearchWith(repo, query, 20, 0), Expected(query, 20, 0));
  const uint64_t read = repo.keyword_rows_read() - before;
  EXPECT_LT(read, matches / 5) << "of " << matches << " matches";
  EXPECT_GT(read, 0u);
}

// A row is scored by comparing its keywords as numbers (their bytes): words
// that are prefixes of one another, of one byte and of the full eight, or
// that differ only in their last byte, still score only when equal.
TEST_P(ProductSearchTest, WordsThatShareTheirFirstBytesScoreApart) {
  const std::vector<std::pair<std::string, int>> odds = {
      {"a", 300},        {"ab", 300},       {"lamp", 300},    {"lamps", 300},
      {"lampshad", 300}, {"lampshae", 300}, {"lampsha", 300}, {"b", 300}};
  Fill(300, odds);
  const std::vector<std::vector<std::string>> queries = {
      {"a", "ab"},
      {"lamp", "lamps"},
      {"lampsha", "lampshad", "lampshae"},
      {"a", "b", "lamp", "lampshad", "lamps"},
      {"ab", "lampsh"},
  };
  for (const auto& query : queries) {
    std::vector<std::string> sorted = query;
    std::sort(sorted.begin(), sorted.end());
    for (int limit : {5, 50, 500}) {
      EXPECT_EQ(Search(kCat, sorted, limit, 0), Expected(query, limit, 0))
          << ::testing::PrintToString(query) << " limit " << limit;
    }
  }
}

// The deepest page the API allows is an empty page, not a huge allocation.
TEST_P(ProductSearchTest, ThePageAtTheLargestOffsetIsEmpty) {
  Fill(40, {{"alpha", 600}, {"beta", 400}});
  for (int limit : {1, 500}) {
    auto found = repo_->Search(kCat, {"alpha", "beta"}, limit, 2147483647);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    EXPECT_TRUE(found->empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, ProductSearchTest, kEngines, Name);

}  // namespace
}  // namespace mp::storage::testing
