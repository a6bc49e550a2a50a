#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/types.h"
#include "storage/database.h"
#include "storage/product_records.h"

namespace mp::storage {

// The message of every kNotFound for an unknown item.
std::string ItemNotFound(const ItemId& id);

// Items, stock, votes and search over either engine. Each method is one
// transaction (or one consistent read). Arguments are assumed valid and
// keywords normalized (the service checks them against docs/contract.md §2). Thread-safe.
//
// Item-scoped methods return kNotFound for an unknown item and
// kPermissionDenied when a seller touches another seller's item.
class ProductRepository {
 public:
  // A several-keyword search reads at first max(offset + limit + 1,
  // `search_chunk`) matches of each word; tests make it small, so that a
  // search takes many rounds.
  static constexpr int kSearchChunk = 128;
  explicit ProductRepository(Database& db, int search_chunk = kSearchChunk)
      : db_(db), search_chunk_(search_chunk) {}

  static Status Migrate(Database& db);

  // Adds the units to the seller's equal item (name, category, keyword set,
  // condition, price), or creates the item. kInvalidArgument/"quantity" when
  // the sum would pass kMaxQuantity.
  StatusOr<Item> RegisterItem(const NewItem& item);
  // Unknown ids are left out; the order is that of `ids`.
  StatusOr<std::vector<Item>> GetItems(const std::vector<ItemId>& ids);
  // Each seller's items (sold-out ones too) by id, `limit` of them from
  // position `offset` (paged like Search), in one query; a seller without
  // items on that page has no entry.
  StatusOr<std::map<SellerId, std::vector<Item>>> ListItemsOfSellers(
      const std::set<SellerId>& seller_ids, int limit = kDefaultSearchLimit, int offset = 0);
  StatusOr<Item> ChangePrice(SellerId seller_id, const ItemId& id, int64_t price_cents);
  // Removes `quantity` units (all when absent).
  // kAborted/"insufficient_quantity" when fewer units are left.
  StatusOr<Item> WithdrawUnits(SellerId seller_id, const ItemId& id,
                               std::optional<int64_t> quantity);
  // docs/contract.md §5: items of `category` with units for sale; with keywords, only
  // those matching at least one, by score desc, (up - down) desc, id.
  StatusOr<std::vector<ScoredItem>> Search(int64_t category,
                                           const std::vector<std::string>& keywords, int limit,
                                           int offset);
  // Rows of item_keywords that several-keyword searches have read since
  // start: what tests check to see that a search reads about its page.
  uint64_t keyword_rows_read() const { return keyword_rows_read_.load(std::memory_order_relaxed); }

  // All lines or none; idempotent on purchase_id (a repeat answers the
  // lines first taken, or kFailedPrecondition once they were released).
  StatusOr<std::vector<TakenLine>> TakeStock(const std::string& purchase_id,
                                             const std::vector<StockLine>& lines);
  Status ReleaseStock(const std::string& purchase_id);
  Status CommitStock(const std::string& purchase_id);

  // kAlreadyExists/"already_rated" on a second vote of the buyer on the item.
  Status Vote(BuyerId buyer_id, const ItemId& id, bool up);
  // The votes on each seller's items, in one query; a seller without votes
  // may have no entry (0/0).
  StatusOr<std::map<SellerId, Feedback>> GetSellerRatings(const std::set<SellerId>& seller_ids);

 private:
  // Explains why a conditional update on an item touched no row.
  Status ExplainMiss(Connection& conn, const ItemId& id, SellerId seller_id);
  // Search with two or more distinct keywords.
  Status SearchSeveral(Connection& conn, int64_t category, const std::vector<std::string>& words,
                       int limit, int offset, std::vector<ScoredItem>& found);

  Database& db_;
  const int search_chunk_;
  std::atomic<uint64_t> keyword_rows_read_{0};
};

}  // namespace mp::storage
