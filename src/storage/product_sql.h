#pragma once
// The reads of ProductRepository whose plans must use an index (checked by
// product_plan_test.cc on both engines, so that a change of a statement or
// of the schema that turns one into a scan of the table fails a test).
// Internal to src/storage.

#include "storage/database.h"

// The columns ToItem reads, in its order (product_repository.cc).
#define MP_ITEM_COLUMNS \
  "id, category, name, keywords, item_condition, price_cents, quantity, up, down, seller_id"

namespace mp::storage::product_sql {

inline constexpr Sql kSelectItem{"SELECT " MP_ITEM_COLUMNS
                                 " FROM items WHERE id = $1 AND category = $2"};

// A page of one seller's items; the index (seller_id, id) of
// deploy/sql/product_004 yields them in order, so only the page is read.
inline constexpr Sql kSelectSellerItems{
    "SELECT " MP_ITEM_COLUMNS " FROM items WHERE seller_id = $1 ORDER BY id LIMIT $2 OFFSET $3"};

// One keyword: the index is in ranking order, so the page is read and no more.
inline constexpr Sql kSearchKeyword{
    "SELECT i.id, i.category, i.name, i.keywords, i.item_condition, i.price_cents, "
    "i.quantity, i.up, i.down, i.seller_id, 1 "
    "FROM (SELECT item_id, net_votes FROM item_keywords "
    "WHERE category = $1 AND keyword = $4 AND for_sale = 1 "
    "ORDER BY net_votes DESC, item_id LIMIT $2 OFFSET $3) m "
    "JOIN items i ON i.id = m.item_id ORDER BY m.net_votes DESC, m.item_id"};

// Several keywords: their matches from the index alone, one row per
// (keyword, item), scored here (ProductRepository::Search): the engines'
// GROUP BY sorts cost several times the index scan. One statement for up
// to kMaxKeywords words (unused places repeat the first word), not one per
// word: on PostgreSQL each statement is a round trip.
inline constexpr Sql kKeywordMatches{
    "SELECT item_id, net_votes FROM item_keywords "
    "WHERE category = $1 AND keyword IN ($2, $3, $4, $5, $6) AND for_sale = 1"};

inline constexpr Sql kSearchCategory{"SELECT " MP_ITEM_COLUMNS
                                     ", 0 FROM items WHERE category = $1 AND quantity > 0 "
                                     "ORDER BY up - down DESC, id LIMIT $2 OFFSET $3"};

}  // namespace mp::storage::product_sql
