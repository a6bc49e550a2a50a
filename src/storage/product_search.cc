// ProductRepository's several-keyword search (docs/contract.md, "Search"):
// the top of the ranking from the words' ranked index lists.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "common/types.h"
#include "storage/product_repository.h"
#include "storage/product_rows.h"
#include "storage/product_sql.h"

namespace mp::storage {

using namespace product_sql;
using product_rows::NumberList;
using product_rows::ToItem;

namespace {

// Where a match stands in its word's list (the ranked index): more net
// votes first, then the lower item number. Every row of an item has the
// same place in each list it is in.
struct Rank {
  int64_t votes = 0;
  int64_t item = 0;
  bool operator<(const Rank& o) const {  // comes first
    return votes != o.votes ? votes > o.votes : item < o.item;
  }
  bool operator<=(const Rank& o) const { return !(o < *this); }
};

struct Scored {
  Rank rank;
  int32_t score = 0;
};

// The query's words as numbers: a keyword has at most kMaxKeywordChars (8)
// bytes, so its bytes, zero-padded, are one 64-bit number that no other
// keyword shares, and a row's score takes a pass over its keywords with no
// string comparison (the profile at 1M items had a sixth of the search's
// time in comparing strings).
class QueryWords {
 public:
  explicit QueryWords(const std::vector<std::string>& words) : words_(words) {
    static_assert(kMaxKeywordChars <= 8, "a keyword fits in one uint64_t");
    // A word no stored keyword can be (empty, longer than 8 bytes), or more
    // words than a query has: compared as text, as before.
    packed_all_ = words.size() <= packed_.size();
    for (const std::string& word : words) {
      if (word.empty() || word.size() > sizeof(uint64_t)) packed_all_ = false;
      if (count_ < packed_.size()) packed_[count_++] = Pack(word);
    }
  }

  // How many of the words an item's keywords (items.keywords:
  // comma-separated) hold: its score.
  int32_t Score(std::string_view keywords) const {
    if (!packed_all_) return ScoreByText(keywords);
    int32_t score = 0;
    uint64_t keyword = 0;
    unsigned shift = 0;  // bits of `keyword` filled; past 64 it is too long to match
    for (char c : keywords) {
      if (c == ',') {
        score += Matches(keyword, shift);
        keyword = 0;
        shift = 0;
      } else {
        if (shift < 64) keyword |= uint64_t{static_cast<unsigned char>(c)} << shift;
        shift += 8;
      }
    }
    return score + Matches(keyword, shift);
  }

 private:
  static uint64_t Pack(std::string_view word) {
    uint64_t v = 0;
    for (size_t i = 0; i < word.size() && i < sizeof v; ++i) {
      v |= uint64_t{static_cast<unsigned char>(word[i])} << (8 * i);
    }
    return v;
  }
  // The words are distinct, so a keyword matches at most one of them.
  int32_t Matches(uint64_t keyword, unsigned shift) const {
    if (shift == 0 || shift > 64) return 0;
    bool hit = false;
    for (size_t i = 0; i < count_; ++i) hit |= packed_[i] == keyword;
    return hit ? 1 : 0;
  }
  int32_t ScoreByText(std::string_view keywords) const {
    int32_t score = 0;
    for (size_t start = 0; start < keywords.size();) {
      const size_t comma = std::min(keywords.find(',', start), keywords.size());
      const std::string_view keyword = keywords.substr(start, comma - start);
      score += static_cast<int32_t>(std::count(words_.begin(), words_.end(), keyword));
      start = comma + 1;
    }
    return score;
  }

  const std::vector<std::string>& words_;
  std::array<uint64_t, kMaxKeywords> packed_{};
  size_t count_ = 0;
  bool packed_all_;
};

}  // namespace

// The page of a several-keyword search from the words' ranked lists,
// reading about as much of them as the page needs. Every row read carries
// all of its item's keywords, so each item seen has its exact score at
// once. A list read to its end is closed; with c of the n lists closed,
// every item with at least n - c + 1 of the words is in a closed list, so
// it is known. An item with exactly n - c words that is in no closed list
// has all of its words among the n - c open lists, so it is in each of
// them: reading any one open list in rank order finds all such items up to
// where that list stands. So, with `sure` = n - c + 1: once the items
// scoring `sure` or more, and those scoring one less that rank no later
// than where one open list stands, make up offset + limit, nothing unseen
// can enter the page. Until then that list is read on; when it ends, c
// grows by one. The list read on is the open one whose first chunk reached
// furthest in rank, the sparsest: a query's rare words close in their
// first chunk, and a common word is read only as far as the page needs.
Status ProductRepository::SearchSeveral(Connection& conn, int64_t category,
                                        const std::vector<std::string>& words, int limit,
                                        int offset, std::vector<ScoredItem>& found) {
  static_assert(kMaxKeywords == 5, "kKeywordHeads has a place for each keyword");
  const size_t n = words.size();
  const int64_t need = int64_t{offset} + limit;
  struct List {
    int64_t read = 0;
    bool open = false;  // more matches may follow `last`
    Rank last;
  };
  // Every item seen, once, and where it is in `known`.
  std::vector<Scored> known;
  absl::flat_hash_map<int64_t, uint32_t> place;
  std::array<int64_t, kMaxKeywords + 2> with_score{};  // items seen per score
  std::array<List, kMaxKeywords> lists{};
  uint64_t rows_read = 0;
  const QueryWords query(words);

  // A row of word `word`'s list: item, net votes, all its keywords.
  auto add = [&](size_t word, const Row& row, int column) {
    ++rows_read;
    const int64_t item = row.Int(column);
    const int64_t votes = row.Int(column + 1);
    auto [it, fresh] = place.try_emplace(item, static_cast<uint32_t>(known.size()));
    if (fresh) {
      const int32_t score = std::min<int32_t>(query.Score(row.Text(column + 2)), kMaxKeywords);
      known.push_back({{votes, item}, score});
      ++with_score[static_cast<size_t>(score)];
    } else {
      // Lists read by separate statements may come from different
      // moments: an item's votes are then the highest seen.
      Rank& rank = known[it->second].rank;
      rank.votes = std::max(rank.votes, votes);
    }
    List& list = lists[word];
    const Rank rank{votes, item};
    if (list.read++ == 0 || list.last < rank) list.last = rank;
  };

  const int64_t first = std::max<int64_t>(need + 1, search_chunk_);
  // Room for the first chunks, but not for a page far down (the offset
  // may be up to 2^31 - 1): past that, the containers grow as rows come.
  const size_t expected = std::min<size_t>(n * static_cast<size_t>(first), size_t{1} << 14);
  known.reserve(expected);
  place.reserve(expected);
  {
    std::array<Param, 1 + 2 * kMaxKeywords> params;
    params[0] = category;
    for (size_t i = 0; i < static_cast<size_t>(kMaxKeywords); ++i) {
      params[1 + i] = std::string_view(words[i < n ? i : 0]);
      params[1 + kMaxKeywords + i] = i < n ? first : int64_t{0};
    }
    MP_RETURN_IF_ERROR(conn.ForEach(kKeywordHeads, params, [&](const Row& row) {
      add(static_cast<size_t>(row.Int(0)), row, 1);
      return true;
    }));
  }
  for (size_t i = 0; i < n; ++i) lists[i].open = lists[i].read >= first;

  for (;;) {
    std::optional<size_t> sparsest;
    int closed = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!lists[i].open) {
        ++closed;
      } else if (!sparsest || lists[*sparsest].last < lists[i].last) {
        sparsest = i;
      }
    }
    if (!sparsest) break;  // every match is known
    List& list = lists[*sparsest];
    const size_t sure = n - static_cast<size_t>(closed) + 1;
    int64_t ahead = 0;
    for (size_t score = sure; score < with_score.size(); ++score) ahead += with_score[score];
    // Those one short of `sure` count up to where the list stands.
    if (ahead + with_score[sure - 1] >= need) {
      for (const Scored& s : known) {
        ahead += static_cast<size_t>(s.score) == sure - 1 && s.rank <= list.last;
      }
    }
    if (ahead >= need) break;
    // Chunks double: a list read to its end costs a few statements.
    const int64_t chunk = list.read;
    const Rank after = list.last;
    const std::string_view word = words[*sparsest];
    int64_t got = 0;
    auto take = [&](const Row& row) {
      add(*sparsest, row, 0);
      ++got;
      return true;
    };
    std::array<Param, 5> rest{category, word, after.votes, after.item, chunk};
    MP_RETURN_IF_ERROR(conn.ForEach(kKeywordRestOfLevel, rest, take));
    if (got < chunk) {
      std::array<Param, 4> below{category, word, after.votes, chunk - got};
      MP_RETURN_IF_ERROR(conn.ForEach(kKeywordBelowLevel, below, take));
    }
    list.open = got >= chunk;
  }
  std::vector<Scored>& ranked = known;
  keyword_rows_read_.fetch_add(rows_read, std::memory_order_relaxed);
  const size_t begin = std::min(ranked.size(), static_cast<size_t>(offset));
  const size_t end = std::min(ranked.size(), static_cast<size_t>(need));
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(end), ranked.end(),
                    [](const Scored& a, const Scored& b) {
                      return a.score != b.score ? a.score > b.score : a.rank < b.rank;
                    });
  if (begin == end) return Status();

  std::vector<int64_t> page;
  for (size_t i = begin; i < end; ++i) page.push_back(ranked[i].rank.item);
  std::string list = NumberList(conn.engine(), page, [](int64_t id) { return id; });
  MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectItems, {std::string_view(list)}));
  std::map<int64_t, const Row*> by_number;
  for (const Row& row : rows) by_number.emplace(row.Int(0), &row);
  for (size_t i = begin; i < end; ++i) {
    auto it = by_number.find(ranked[i].rank.item);
    // Sold out since its keyword rows were read: no longer for sale.
    if (it == by_number.end() || it->second->Int(6) <= 0) continue;
    found.push_back({ToItem(*it->second), ranked[i].score});
  }
  return Status();
}

}  // namespace mp::storage
