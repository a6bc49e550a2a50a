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

// The same page of several sellers' items in one statement ($1 the
// sellers, $2 the offset, $3 the limit), each seller's items in order from
// the index (seller_id, id) of deploy/sql/product_004. PostgreSQL reads each
// seller's page (LATERAL, one round trip); SQLite, without LATERAL, numbers
// each seller's items by id and keeps rows $2 < n <= $2 + $3 (in process,
// there is no round trip to save).
inline constexpr Sql kSelectItemsOfSellers{
    "SELECT " MP_ITEM_COLUMNS " FROM (SELECT " MP_ITEM_COLUMNS
    ", ROW_NUMBER() OVER (PARTITION BY seller_id ORDER BY id) AS n FROM items "
    "WHERE seller_id IN (SELECT value FROM json_each($1))) page "
    "WHERE n > $2 AND n <= $2 + $3 ORDER BY seller_id, id",
    "SELECT " MP_ITEM_COLUMNS
    " FROM unnest(CAST($1 AS BIGINT[])) AS s(seller) "
    "CROSS JOIN LATERAL (SELECT " MP_ITEM_COLUMNS
    " FROM items WHERE seller_id = s.seller ORDER BY id LIMIT $3 OFFSET $2) page "
    "ORDER BY seller_id, id"};

// One keyword: the index is in ranking order, so the page is read and no more.
inline constexpr Sql kSearchKeyword{
    "SELECT i.id, i.category, i.name, i.keywords, i.item_condition, i.price_cents, "
    "i.quantity, i.up, i.down, i.seller_id, 1 "
    "FROM (SELECT item_id, net_votes FROM item_keywords "
    "WHERE category = $1 AND keyword = $4 AND for_sale = 1 "
    "ORDER BY net_votes DESC, item_id LIMIT $2 OFFSET $3) m "
    "JOIN items i ON i.id = m.item_id ORDER BY m.net_votes DESC, m.item_id"};

// Several keywords (ProductRepository::SearchSeveral): each word's matches
// from the ranked index alone, in its order, a chunk at a time, with all
// of each match's keywords (so each row is scored as it is read). The
// first chunk of up to kMaxKeywords words is one statement ($2..$6 the
// words, $7..$11 each word's chunk: 0 for the unused places), since on
// PostgreSQL each statement is a round trip; the repository restores the
// order within a chunk.
#define MP_KEYWORD_HEAD(place, word, chunk)                                 \
  "SELECT " place                                                           \
  ", item_id, net_votes, all_keywords FROM (SELECT item_id, net_votes, "    \
  "all_keywords FROM item_keywords WHERE category = $1 AND keyword = " word \
  " AND for_sale = 1 "                                                      \
  "ORDER BY net_votes DESC, item_id LIMIT " chunk ") w" place
inline constexpr Sql kKeywordHeads{
    MP_KEYWORD_HEAD("0", "$2", "$7") " UNION ALL " MP_KEYWORD_HEAD("1", "$3", "$8")
    " UNION ALL " MP_KEYWORD_HEAD("2", "$4", "$9") " UNION ALL " MP_KEYWORD_HEAD("3", "$5", "$10")
    " UNION ALL " MP_KEYWORD_HEAD("4", "$6", "$11")};
#undef MP_KEYWORD_HEAD

// The next chunk of one word's matches, after the last one read (net
// votes $3, item $4), in the index's order, as two ranges of the index
// that skip nothing (an OFFSET would step over every row read before):
// the rest of that vote level, then the levels below it.
inline constexpr Sql kKeywordRestOfLevel{
    "SELECT item_id, net_votes, all_keywords FROM item_keywords "
    "WHERE category = $1 AND keyword = $2 AND for_sale = 1 AND net_votes = $3 AND item_id > $4 "
    "ORDER BY item_id LIMIT $5"};
inline constexpr Sql kKeywordBelowLevel{
    "SELECT item_id, net_votes, all_keywords FROM item_keywords "
    "WHERE category = $1 AND keyword = $2 AND for_sale = 1 AND net_votes < $3 "
    "ORDER BY net_votes DESC, item_id LIMIT $4"};

// One round trip for a whole cart: a JSON array on SQLite, an array on PostgreSQL.
inline constexpr Sql kSelectItems{
    "SELECT " MP_ITEM_COLUMNS " FROM items WHERE id IN (SELECT value FROM json_each($1))",
    "SELECT " MP_ITEM_COLUMNS " FROM items WHERE id = ANY(CAST($1 AS BIGINT[]))"};

inline constexpr Sql kSearchCategory{"SELECT " MP_ITEM_COLUMNS
                                     ", 0 FROM items WHERE category = $1 AND quantity > 0 "
                                     "ORDER BY up - down DESC, id LIMIT $2 OFFSET $3"};

}  // namespace mp::storage::product_sql
