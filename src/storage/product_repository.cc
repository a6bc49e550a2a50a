#include "storage/product_repository.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "storage/migrations.h"
#include "storage/product_rows.h"
#include "storage/product_sql.h"

namespace mp::storage {
namespace {

using product_rows::NumberList;
using product_rows::ToItem;

using namespace product_sql;

// Registrations of one seller take turns on PostgreSQL, so two equal
// registrations at once merge instead of creating two items. (SQLite writers
// already take turns.)
const Sql kLockSeller{
    nullptr,
    "SELECT pg_advisory_xact_lock(7262002, CAST(CAST($1 AS BIGINT) % 2147483647 AS INTEGER))"};
const Sql kFindEqualItem{
    "SELECT id, quantity FROM items WHERE seller_id = $1 AND name = $2 AND category = $3 "
    "AND keywords = $4 AND item_condition = $5 AND price_cents = $6 ORDER BY id LIMIT 1"};
const Sql kAddUnits{
    "UPDATE items SET quantity = quantity + $2 WHERE id = $1 RETURNING " MP_ITEM_COLUMNS};
const Sql kInsertItem{
    "INSERT INTO items (seller_id, name, category, keywords, item_condition, price_cents, "
    "quantity) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " MP_ITEM_COLUMNS};
const Sql kInsertKeyword{
    "INSERT INTO item_keywords (keyword, category, item_id, net_votes, for_sale, all_keywords) "
    "VALUES ($1, $2, $3, 0, $4, $5)"};
// After any change to an item's quantity or votes, in the same transaction:
// search ranks by the copies in item_keywords (deploy/sql/product_002).
// Rows already equal are left alone: most stock changes keep an item for
// sale, and an unchanged row rewritten still costs a new row version (and,
// on PostgreSQL, new index entries that searches then step over).
const Sql kSyncKeywords{
    "UPDATE item_keywords SET net_votes = i.up - i.down, "
    "for_sale = CASE WHEN i.quantity > 0 THEN 1 ELSE 0 END "
    "FROM items i WHERE i.id = $1 AND item_keywords.item_id = $1 "
    "AND (item_keywords.net_votes <> i.up - i.down "
    "OR item_keywords.for_sale <> CASE WHEN i.quantity > 0 THEN 1 ELSE 0 END)"};
const Sql kEnsureSellerRating{
    "INSERT INTO seller_ratings (seller_id) VALUES ($1) ON CONFLICT (seller_id) DO NOTHING"};

const Sql kSelectOwner{"SELECT seller_id, quantity FROM items WHERE id = $1 AND category = $2"};
const Sql kChangePrice{
    "UPDATE items SET price_cents = $4 WHERE id = $1 AND category = $2 AND seller_id = $3 "
    "RETURNING " MP_ITEM_COLUMNS};
const Sql kWithdraw{
    "UPDATE items SET quantity = quantity - $4 "
    "WHERE id = $1 AND category = $2 AND seller_id = $3 AND quantity >= $4 "
    "RETURNING " MP_ITEM_COLUMNS};
const Sql kWithdrawAll{
    "UPDATE items SET quantity = 0 WHERE id = $1 AND category = $2 AND seller_id = $3 "
    "RETURNING " MP_ITEM_COLUMNS};

// Steps of one purchase take turns (PostgreSQL; SQLite writers already do):
// under READ COMMITTED two TakeStock of one purchase id would both find no
// take, and the loser's refusal would then undo the winner's take. The
// two-key form with its own class (7262002) keeps these locks apart from the
// other advisory locks of a shared database.
const Sql kLockPurchase{nullptr, "SELECT pg_advisory_xact_lock(7262002, hashtext($1))"};
const Sql kSelectTaken{
    "SELECT t.item_id, t.quantity, t.price_cents, t.seller_id, t.name, t.state, i.category "
    "FROM stock_takes t JOIN items i ON i.id = t.item_id WHERE t.purchase_id = $1"};
const Sql kTakeUnits{
    "UPDATE items SET quantity = quantity - $3 "
    "WHERE id = $1 AND category = $2 AND quantity >= $3 "
    "RETURNING price_cents, seller_id, name"};
const Sql kInsertTaken{
    "INSERT INTO stock_takes (purchase_id, item_id, quantity, price_cents, seller_id, name, "
    "state) VALUES ($1, $2, $3, $4, $5, $6, 1)"};
const Sql kReleaseTaken{
    "UPDATE stock_takes SET state = 2 WHERE purchase_id = $1 AND state = 1 "
    "RETURNING item_id, quantity"};
const Sql kReturnUnits{"UPDATE items SET quantity = quantity + $2 WHERE id = $1"};
const Sql kCommitTaken{"UPDATE stock_takes SET state = 3 WHERE purchase_id = $1 AND state = 1"};

const Sql kInsertVote{
    "INSERT INTO votes (buyer_id, item_id, up) VALUES ($1, $2, $3) "
    "ON CONFLICT (buyer_id, item_id) DO NOTHING RETURNING buyer_id"};
const Sql kVoteItem{
    "UPDATE items SET up = up + $3, down = down + $4 WHERE id = $1 AND category = $2 "
    "RETURNING seller_id"};
const Sql kVoteSeller{
    "UPDATE seller_ratings SET up = up + $2, down = down + $3 WHERE seller_id = $1"};
const Sql kSelectSellerRating{"SELECT up, down FROM seller_ratings WHERE seller_id = $1"};
const Sql kSelectSellerRatings{
    "SELECT seller_id, up, down FROM seller_ratings "
    "WHERE seller_id IN (SELECT value FROM json_each($1))",
    "SELECT seller_id, up, down FROM seller_ratings WHERE seller_id = ANY(CAST($1 AS BIGINT[]))"};

std::string JoinKeywords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ',';
    out += w;
  }
  return out;
}

}  // namespace

std::string ItemNotFound(const ItemId& id) { return "no item " + id.ToString(); }

namespace product_rows {

Item ToItem(const Row& row) {
  Item item;
  item.id = ItemId{row.Int(1), row.Int(0)};
  item.category = row.Int(1);
  item.name = row.Text(2);
  const std::string& keywords = row.Text(3);
  for (size_t start = 0; start < keywords.size();) {
    size_t comma = std::min(keywords.find(',', start), keywords.size());
    item.keywords.push_back(keywords.substr(start, comma - start));
    start = comma + 1;
  }
  item.condition = static_cast<Condition>(row.Int(4));
  item.price_cents = row.Int(5);
  item.quantity = row.Int(6);
  item.feedback = {row.Int(7), row.Int(8)};
  item.seller_id = SellerId(row.Int(9));
  return item;
}

}  // namespace product_rows

Status ProductRepository::Migrate(Database& db) {
  return db.Migrate("product_schema_version", db.engine() == Engine::kSqlite
                                                  ? SqliteProductMigrations()
                                                  : PostgresProductMigrations());
}

StatusOr<Item> ProductRepository::RegisterItem(const NewItem& r) {
  Item item;
  std::string keywords = JoinKeywords(r.keywords);
  const int64_t seller = r.seller_id.value;
  const auto condition = static_cast<int64_t>(r.condition);
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(conn.Query(kLockSeller, {seller}).status());
    MP_ASSIGN_OR_RETURN(
        Rows equal, conn.Query(kFindEqualItem,
                               {seller, r.name, r.category, keywords, condition, r.price_cents}));
    if (!equal.empty()) {
      if (equal[0].Int(1) + r.quantity > kMaxQuantity) {
        return InvalidArgument("quantity", "the item would hold more than 1000000000 units");
      }
      MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kAddUnits, {equal[0].Int(0), r.quantity}));
      item = ToItem(rows.at(0));
      return conn.Query(kSyncKeywords, {equal[0].Int(0)}).status();
    }
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kInsertItem, {seller, r.name, r.category, keywords,
                                                            condition, r.price_cents, r.quantity}));
    item = ToItem(rows.at(0));
    int64_t number = rows[0].Int(0);
    for (const std::string& word : r.keywords) {
      MP_RETURN_IF_ERROR(
          conn.Query(kInsertKeyword, {word, r.category, number, int64_t{r.quantity > 0}, keywords})
              .status());
    }
    return conn.Query(kEnsureSellerRating, {seller}).status();
  }));
  return item;
}

StatusOr<std::vector<Item>> ProductRepository::GetItems(const std::vector<ItemId>& ids) {
  std::vector<Item> items;
  if (ids.empty()) return items;
  std::string list = NumberList(db_.engine(), ids, [](const ItemId& id) { return id.number; });
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectItems, {list}));
    std::map<int64_t, Item> by_number;
    for (const Row& row : rows) by_number.emplace(row.Int(0), ToItem(row));
    for (const ItemId& id : ids) {
      auto it = by_number.find(id.number);
      if (it != by_number.end() && it->second.category == id.category) {
        items.push_back(it->second);
      }
    }
    return Status();
  }));
  return items;
}

StatusOr<std::map<SellerId, std::vector<Item>>> ProductRepository::ListItemsOfSellers(
    const std::set<SellerId>& seller_ids, int limit, int offset) {
  std::map<SellerId, std::vector<Item>> items;
  if (seller_ids.empty()) return items;
  std::string list = NumberList(db_.engine(), seller_ids, [](SellerId id) { return id.value; });
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    items.clear();
    MP_ASSIGN_OR_RETURN(Rows rows,
                        conn.Query(kSelectItemsOfSellers, {list, int64_t{offset}, int64_t{limit}}));
    for (const Row& row : rows) items[SellerId(row.Int(9))].push_back(ToItem(row));
    return Status();
  }));
  return items;
}

Status ProductRepository::ExplainMiss(Connection& conn, const ItemId& id, SellerId seller_id) {
  MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectOwner, {id.number, id.category}));
  if (rows.empty()) return NotFound(ItemNotFound(id));
  if (rows[0].Int(0) != seller_id.value) {
    return PermissionDenied("item " + id.ToString() + " belongs to another seller");
  }
  return InsufficientQuantity("item " + id.ToString() + " has only " +
                              std::to_string(rows[0].Int(1)) + " units left");
}

StatusOr<Item> ProductRepository::ChangePrice(SellerId seller_id, const ItemId& id,
                                              int64_t price_cents) {
  Item item;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kChangePrice, {id.number, id.category,
                                                             seller_id.value, price_cents}));
    if (rows.empty()) return ExplainMiss(conn, id, seller_id);
    item = ToItem(rows[0]);
    return Status();
  }));
  return item;
}

StatusOr<Item> ProductRepository::WithdrawUnits(SellerId seller_id, const ItemId& id,
                                                std::optional<int64_t> quantity) {
  Item item;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    const int64_t seller = seller_id.value;
    auto rows = quantity ? conn.Query(kWithdraw, {id.number, id.category, seller, *quantity})
                         : conn.Query(kWithdrawAll, {id.number, id.category, seller});
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return ExplainMiss(conn, id, seller_id);
    item = ToItem(rows->at(0));
    return conn.Query(kSyncKeywords, {id.number}).status();
  }));
  return item;
}

StatusOr<std::vector<ScoredItem>> ProductRepository::Search(
    int64_t category, const std::vector<std::string>& keywords, int limit, int offset) {
  std::vector<ScoredItem> found;
  std::vector<std::string> words = keywords;
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  if (words.size() > static_cast<size_t>(kMaxKeywords)) words.resize(kMaxKeywords);
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    found.clear();
    if (words.size() <= 1) {
      StatusOr<Rows> rows =
          words.empty()
              ? conn.Query(kSearchCategory, {category, int64_t{limit}, int64_t{offset}})
              : conn.Query(kSearchKeyword, {category, int64_t{limit}, int64_t{offset}, words[0]});
      if (!rows.ok()) return rows.status();
      for (const Row& row : *rows) found.push_back({ToItem(row), static_cast<int>(row.Int(10))});
      return Status();
    }
    return SearchSeveral(conn, category, words, limit, offset, found);
  }));
  return found;
}

StatusOr<std::vector<TakenLine>> ProductRepository::TakeStock(const std::string& purchase_id,
                                                              const std::vector<StockLine>& lines) {
  std::vector<TakenLine> taken_lines;
  // A fixed order keeps two purchases of the same items from deadlocking.
  auto sorted = lines;
  std::sort(sorted.begin(), sorted.end(), [](const StockLine& a, const StockLine& b) {
    return a.item_id.number < b.item_id.number;
  });
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    taken_lines.clear();
    MP_RETURN_IF_ERROR(conn.Query(kLockPurchase, {purchase_id}).status());
    MP_ASSIGN_OR_RETURN(Rows taken, conn.Query(kSelectTaken, {purchase_id}));
    for (const Row& row : taken) {
      if (row.Int(5) == 2) {
        return Status(StatusCode::kFailedPrecondition,
                      "the stock of purchase " + purchase_id + " was given back");
      }
      taken_lines.push_back({ItemId{row.Int(6), row.Int(0)}, row.Int(1), row.Int(2),
                             SellerId(row.Int(3)), row.Text(4)});
    }
    if (!taken.empty()) return Status();
    int64_t total = 0;
    for (const auto& [id, quantity] : sorted) {
      MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kTakeUnits, {id.number, id.category, quantity}));
      if (rows.empty()) {
        MP_ASSIGN_OR_RETURN(Rows owner, conn.Query(kSelectOwner, {id.number, id.category}));
        if (owner.empty()) return NotFound(ItemNotFound(id));
        return InsufficientQuantity("item " + id.ToString() + " has only " +
                                    std::to_string(owner[0].Int(1)) + " units left");
      }
      // Refused before anything is held: the transaction rolls back.
      MP_RETURN_IF_ERROR(AddToOrderTotal(total, rows[0].Int(0), quantity));
      MP_RETURN_IF_ERROR(conn.Query(kSyncKeywords, {id.number}).status());
      const TakenLine& line = taken_lines.emplace_back(
          TakenLine{id, quantity, rows[0].Int(0), SellerId(rows[0].Int(1)), rows[0].Text(2)});
      MP_RETURN_IF_ERROR(
          conn.Query(kInsertTaken, {purchase_id, id.number, quantity, line.price_cents,
                                    line.seller_id.value, line.name})
              .status());
    }
    return Status();
  }));
  return taken_lines;
}

Status ProductRepository::ReleaseStock(const std::string& purchase_id) {
  return db_.Write([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(conn.Query(kLockPurchase, {purchase_id}).status());
    MP_ASSIGN_OR_RETURN(Rows released, conn.Query(kReleaseTaken, {purchase_id}));
    for (const Row& row : released) {
      MP_RETURN_IF_ERROR(conn.Query(kReturnUnits, {row.Int(0), row.Int(1)}).status());
      MP_RETURN_IF_ERROR(conn.Query(kSyncKeywords, {row.Int(0)}).status());
    }
    return Status();
  });
}

Status ProductRepository::CommitStock(const std::string& purchase_id) {
  return db_.Write([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(conn.Query(kLockPurchase, {purchase_id}).status());
    return conn.Query(kCommitTaken, {purchase_id}).status();
  });
}

Status ProductRepository::Vote(BuyerId buyer_id, const ItemId& id, bool up) {
  return db_.Write([&](Connection& conn) -> Status {
    int64_t u = up ? 1 : 0;
    MP_ASSIGN_OR_RETURN(Rows item, conn.Query(kVoteItem, {id.number, id.category, u, 1 - u}));
    if (item.empty()) return NotFound(ItemNotFound(id));
    MP_ASSIGN_OR_RETURN(Rows vote, conn.Query(kInsertVote, {buyer_id.value, id.number, u}));
    if (vote.empty()) {
      // Rolled back with the item's count above.
      return Status(StatusCode::kAlreadyExists, "you already rated item " + id.ToString(),
                    kAlreadyRated);
    }
    MP_RETURN_IF_ERROR(conn.Query(kSyncKeywords, {id.number}).status());
    return conn.Query(kVoteSeller, {item[0].Int(0), u, 1 - u}).status();
  });
}

StatusOr<std::map<SellerId, Feedback>> ProductRepository::GetSellerRatings(
    const std::set<SellerId>& seller_ids) {
  std::map<SellerId, Feedback> ratings;
  if (seller_ids.empty()) return ratings;
  std::string list = NumberList(db_.engine(), seller_ids, [](SellerId id) { return id.value; });
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    ratings.clear();
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectSellerRatings, {list}));
    for (const Row& row : rows) ratings[SellerId(row.Int(0))] = {row.Int(1), row.Int(2)};
    return Status();
  }));
  return ratings;
}

}  // namespace mp::storage
