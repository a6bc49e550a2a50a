// ProductRepository's several-keyword search (docs/contract.md, "Search"):
// the top of the ranking from the words' ranked index lists.
#include <algorithm>
#include <array>
#include <bit>
#include <map>
#include <optional>
#include <unordered_map>

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

// Every match of `words`, scored: one entry per item. (Without a
// transaction the lists may come from different moments: an item's votes
// are then the highest seen, as MAX would have it.)
Status ScoreAllMatches(Connection& conn, int64_t category, const std::vector<std::string>& words,
                       std::vector<Scored>& ranked, uint64_t& rows_read) {
  std::array<Param, 1 + kMaxKeywords> params;
  params[0] = category;
  for (size_t i = 0; i < static_cast<size_t>(kMaxKeywords); ++i) {
    params[1 + i] = std::string_view(words[i < words.size() ? i : 0]);
  }
  std::vector<Scored> matches;
  MP_RETURN_IF_ERROR(conn.ForEach(kKeywordMatches, params, [&](const Row& row) {
    matches.push_back({{row.Int(1), row.Int(0)}, 1});
    return true;
  }));
  rows_read += matches.size();
  std::sort(matches.begin(), matches.end(),
            [](const Scored& a, const Scored& b) { return a.rank.item < b.rank.item; });
  ranked.clear();
  for (const Scored& m : matches) {
    if (!ranked.empty() && ranked.back().rank.item == m.rank.item) {
      ++ranked.back().score;
      ranked.back().rank.votes = std::max(ranked.back().rank.votes, m.rank.votes);
    } else {
      ranked.push_back(m);
    }
  }
  return Status();
}

}  // namespace

// The page of a several-keyword search without reading every match where
// the page does not need it (a threshold algorithm over the words' ranked
// lists). Each word's matches are read in rank order; a word whose first
// chunk is short is complete, and the others' membership of its items is
// asked by key. A common word's list is read on from where it stands, the
// one read least far in rank each round, so that at the least advanced
// position B every list has been read past B: an item ranked at or before
// B has an exact score. An item not seen yet ranks after B and has at most
// as many words as common lists are still open (E); a seen item whose score
// is not exact yet has at most its known words plus the open lists not read
// past it. Once offset + limit exact items ranked at or before B score at
// least the highest such bound, nothing else can enter the page. Common
// words that are seldom together would read on up to every match: past a
// budget of rows, all matches are read at once instead, as one statement.
Status ProductRepository::SearchSeveral(Connection& conn, int64_t category,
                                        const std::vector<std::string>& words, int limit,
                                        int offset, std::vector<ScoredItem>& found) {
  static_assert(kMaxKeywords == 5, "kKeywordHeads has a place for each keyword");
  const size_t n = words.size();
  const int64_t need = int64_t{offset} + limit;
  struct Candidate {
    int64_t votes = 0;
    uint32_t words = 0;  // bit i: has words[i]
    bool asked = false;  // its membership of every common list is known
  };
  struct List {
    int64_t read = 0;
    bool open = false;  // common, and more matches may follow `last`
    Rank last;
  };
  std::unordered_map<int64_t, Candidate> candidates;
  std::array<List, kMaxKeywords> lists{};
  uint64_t rows_read = 0;

  auto add = [&](size_t word, int64_t item, int64_t votes) {
    ++rows_read;
    auto [it, fresh] = candidates.try_emplace(item);
    Candidate& c = it->second;
    // Lists read by separate statements may come from different moments:
    // an item's votes are then the highest seen.
    c.votes = fresh ? votes : std::max(c.votes, votes);
    c.words |= 1u << word;
    List& list = lists[word];
    Rank rank{votes, item};
    if (list.read++ == 0 || list.last < rank) list.last = rank;
  };

  const int64_t first = std::max<int64_t>(need + 1, search_chunk_);
  {
    std::array<Param, 1 + 2 * kMaxKeywords> params;
    params[0] = category;
    for (size_t i = 0; i < static_cast<size_t>(kMaxKeywords); ++i) {
      params[1 + i] = std::string_view(words[i < n ? i : 0]);
      params[1 + kMaxKeywords + i] = i < n ? first : int64_t{0};
    }
    MP_RETURN_IF_ERROR(conn.ForEach(kKeywordHeads, params, [&](const Row& row) {
      add(static_cast<size_t>(row.Int(0)), row.Int(1), row.Int(2));
      return true;
    }));
  }
  std::vector<size_t> common;
  uint32_t complete_words = 0;
  for (size_t i = 0; i < n; ++i) {
    lists[i].open = lists[i].read >= first;
    if (lists[i].open) {
      common.push_back(i);
    } else {
      complete_words |= 1u << i;
    }
  }

  if (!common.empty()) {
    // The complete lists' items (a few chunks at most): which common words
    // they have.
    std::vector<int64_t> ask;
    for (auto& [item, c] : candidates) {
      if ((c.words & complete_words) != 0) {
        ask.push_back(item);
        c.asked = true;
      }
    }
    if (!ask.empty()) {
      std::array<Param, 2 + kMaxKeywords> params;
      params[0] = category;
      for (size_t i = 0; i < static_cast<size_t>(kMaxKeywords); ++i) {
        params[1 + i] = std::string_view(words[common[i < common.size() ? i : 0]]);
      }
      std::string ids = NumberList(conn.engine(), ask, [](int64_t id) { return id; });
      params[1 + kMaxKeywords] = std::string_view(ids);
      MP_RETURN_IF_ERROR(conn.ForEach(kKeywordMembers, params, [&](const Row& row) {
        ++rows_read;
        auto word = std::find(words.begin(), words.end(), row.Text(0));
        auto it = candidates.find(row.Int(1));
        if (word != words.end() && it != candidates.end()) {
          it->second.words |= 1u << (word - words.begin());
        }
        return true;
      }));
    }
  }

  // Whether the page is known; else which open list to read on.
  int64_t ahead = 0;  // items known to be in the page, by the last check
  auto settled = [&](size_t& behind) {
    int open = 0;
    std::optional<Rank> b;
    for (size_t i : common) {
      if (!lists[i].open) continue;
      ++open;
      if (!b || lists[i].last < *b) {
        b = lists[i].last;
        behind = i;
      }
    }
    if (open == 0) return true;
    int bound = open;  // an unseen item's most words
    std::vector<std::pair<int, Rank>> exact;
    for (const auto& [item, c] : candidates) {
      const Rank rank{c.votes, item};
      int score = std::popcount(c.words), unknown = 0;
      if (!c.asked) {
        for (size_t i : common) {
          if (lists[i].open && lists[i].last < rank && (c.words & (1u << i)) == 0) ++unknown;
        }
      }
      if (unknown > 0) {
        bound = std::max(bound, score + unknown);
      } else {
        exact.emplace_back(score, rank);
      }
    }
    ahead = 0;
    for (const auto& [score, rank] : exact) {
      if (score > bound || (score == bound && rank <= *b)) ++ahead;
    }
    return ahead >= need;
  };

  // Reading on a chunk at a time costs more per row than reading every
  // match in one statement; when the page needs most of the matches
  // anyway (common words seldom together), the one statement wins. Up to
  // a floor of rows, or when a first round found no item of the page at
  // all, the lists are taken to be short and all of them are read. Past
  // the floor, the lists' sizes are estimated from how far into the item
  // numbers each got (most of a list has no votes, and ranks by number
  // there), and a two-word search reads on until it has cost half of what
  // reading everything would: a rare pair of common words then finds its page
  // from a few thousand rows instead of every match of both, and a search
  // that needs everything pays half as much again at worst.
  const uint64_t floor = 4 * n * static_cast<uint64_t>(first);
  std::optional<int64_t> max_number;
  auto budget = [&]() -> StatusOr<uint64_t> {
    // With three words or more, an unseen item's bound falls only as
    // lists end, so reading on seldom settles early; measured at 1M items
    // it cost twice the single read. Two words it pays for.
    if (n != 2) return floor;
    if (!max_number) {
      MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kMaxItemNumber, {}));
      max_number = rows.empty() || rows[0].IsNull(0) ? 0 : rows[0].Int(0);
    }
    double all_rows = 0;
    for (size_t i = 0; i < n; ++i) {
      const List& list = lists[i];
      double rows = static_cast<double>(list.read);
      // A list still among items with votes, or past them: no estimate.
      if (list.open && list.last.votes == 0 && list.last.item > 0) {
        rows *= static_cast<double>(std::max(*max_number, list.last.item)) /
                static_cast<double>(list.last.item);
      }
      all_rows += rows;
    }
    return std::max(floor, static_cast<uint64_t>(all_rows / 2));
  };
  bool all = false;
  for (size_t behind = 0; !settled(behind);) {
    // Chunks double, so the rows skipped to reach one cost no more than
    // the rows read; past the floor, none reads beyond the budget.
    List& list = lists[behind];
    int64_t chunk = list.read;
    if (rows_read > floor || ahead == 0) {
      MP_ASSIGN_OR_RETURN(uint64_t allowed, budget());
      if (rows_read >= allowed || (ahead == 0 && allowed == floor)) {
        all = true;
        break;
      }
      if (rows_read > floor) chunk = std::min(chunk, static_cast<int64_t>(allowed - rows_read));
    }
    const int64_t before = list.read;
    std::array<Param, 4> params{category, std::string_view(words[behind]), chunk, before};
    MP_RETURN_IF_ERROR(conn.ForEach(kKeywordChunk, params, [&](const Row& row) {
      add(behind, row.Int(0), row.Int(1));
      return true;
    }));
    list.open = list.read - before >= chunk;
  }
  std::vector<Scored> ranked;
  if (all) {
    MP_RETURN_IF_ERROR(ScoreAllMatches(conn, category, words, ranked, rows_read));
  } else {
    ranked.reserve(candidates.size());
    for (const auto& [item, c] : candidates) {
      ranked.push_back({{c.votes, item}, std::popcount(c.words)});
    }
  }
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
