#include "storage/cart_repository.h"

#include "common/types.h"
#include "storage/customer_sql.h"

namespace mp::storage {
namespace {

using customer_sql::CartColumn;
using customer_sql::kDeleteSavedCart;
using customer_sql::kDeleteSessionCart;
using customer_sql::kSelectCart;
using customer_sql::StoredItemId;

// The session check and the read in one statement (on PostgreSQL each
// statement is a round trip): no row means no such session. A session
// without cart lines gives one row with NULL item.
const Sql kSelectSessionCart{
    "SELECT s.user_id, s.last_active_ms, c.item_id, c.quantity FROM sessions s "
    "LEFT JOIN cart_lines c ON c.session_id = s.id WHERE s.id = $1 AND s.role = $2 "
    "ORDER BY c.item_id"};
struct SessionCartColumn {
  enum : size_t { kUserId, kLastActiveMs, kItemId, kQuantity };
};
const Sql kSelectCartLine{"SELECT quantity FROM cart_lines WHERE session_id = $1 AND item_id = $2"};
struct CartLineColumn {
  enum : size_t { kQuantity };
};
// The line's units (NULL when absent) and the cart's number of lines, in one
// round trip.
const Sql kSelectCartLineAndCount{
    "SELECT (SELECT quantity FROM cart_lines WHERE session_id = $1 AND item_id = $2), "
    "(SELECT COUNT(*) FROM cart_lines WHERE session_id = $1)"};
struct CartLineAndCountColumn {
  enum : size_t { kQuantity, kLines };
};
const Sql kUpsertCartLine{
    "INSERT INTO cart_lines (session_id, item_id, quantity) VALUES ($1, $2, $3) "
    "ON CONFLICT (session_id, item_id) DO UPDATE SET quantity = excluded.quantity"};
const Sql kDeleteCartLine{"DELETE FROM cart_lines WHERE session_id = $1 AND item_id = $2"};
const Sql kSaveCart{
    "INSERT INTO saved_cart_lines (buyer_id, item_id, quantity) "
    "SELECT CAST($2 AS BIGINT), item_id, quantity FROM cart_lines WHERE session_id = $1"};

}  // namespace

StatusOr<Cart> CartRepository::ReadCart(Connection& conn, const std::string& session_id,
                                        BuyerId buyer_id) {
  MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectCart, {session_id}));
  Cart cart{.buyer_id = buyer_id};
  for (const Row& row : rows) {
    MP_ASSIGN_OR_RETURN(ItemId id, StoredItemId(row.Text(CartColumn::kItemId)));
    cart.lines.push_back({id, row.Int(CartColumn::kQuantity)});
  }
  return cart;
}

StatusOr<Cart> CartRepository::GetCart(const SessionKey& session) {
  int64_t now = sessions_.clock().NowMs();
  Rows rows;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(rows, conn.Query(kSelectSessionCart,
                                         {session.session_id, static_cast<int64_t>(session.role)}));
    return Status();
  }));
  if (rows.empty()) return SessionRepository::Ended();
  MP_ASSIGN_OR_RETURN(SessionInfo info,
                      sessions_.Accept(session, UserId(rows[0].Int(SessionCartColumn::kUserId)),
                                       rows[0].Int(SessionCartColumn::kLastActiveMs), now));
  Cart cart{.buyer_id = BuyerId(info.user_id.value)};
  for (const Row& row : rows) {
    if (row.IsNull(SessionCartColumn::kItemId)) continue;
    MP_ASSIGN_OR_RETURN(ItemId id, StoredItemId(row.Text(SessionCartColumn::kItemId)));
    cart.lines.push_back({id, row.Int(SessionCartColumn::kQuantity)});
  }
  return cart;
}

StatusOr<Cart> CartRepository::ModifyCart(const SessionKey& session,
                                          const std::function<Status(Connection&)>& change) {
  Cart cart;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(UserId buyer, sessions_.Authorize(conn, session));
    MP_RETURN_IF_ERROR(change(conn));
    MP_ASSIGN_OR_RETURN(cart, ReadCart(conn, session.session_id, BuyerId(buyer.value)));
    return Status();
  }));
  return cart;
}

StatusOr<Cart> CartRepository::AddToCart(const SessionKey& session, const ItemId& item_id,
                                         int64_t quantity, int64_t available) {
  const std::string item = item_id.ToString();
  return ModifyCart(session, [&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectCartLineAndCount, {session.session_id, item}));
    bool new_line = rows[0].IsNull(CartLineAndCountColumn::kQuantity);
    int64_t in_cart = new_line ? 0 : rows[0].Int(CartLineAndCountColumn::kQuantity);
    if (new_line && rows[0].Int(CartLineAndCountColumn::kLines) >= kMaxCartLines) {
      return customer_sql::CartFull();
    }
    if (in_cart + quantity > available) {
      return InsufficientQuantity("item " + item + " has " + std::to_string(available) +
                                  " units for sale; the cart holds " + std::to_string(in_cart));
    }
    return conn.Query(kUpsertCartLine, {session.session_id, item, in_cart + quantity}).status();
  });
}

StatusOr<Cart> CartRepository::RemoveFromCart(const SessionKey& session, const ItemId& item_id,
                                              std::optional<int64_t> quantity) {
  const std::string item = item_id.ToString();
  return ModifyCart(session, [&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectCartLine, {session.session_id, item}));
    if (rows.empty()) return NotFound("item " + item + " is not in the cart");
    int64_t left = quantity ? rows[0].Int(CartLineColumn::kQuantity) - *quantity : 0;
    if (left > 0) return conn.Query(kUpsertCartLine, {session.session_id, item, left}).status();
    return conn.Query(kDeleteCartLine, {session.session_id, item}).status();
  });
}

StatusOr<Cart> CartRepository::ClearCart(const SessionKey& session) {
  return ModifyCart(session, [&](Connection& conn) {
    return conn.Query(kDeleteSessionCart, {session.session_id}).status();
  });
}

Status CartRepository::SaveCart(const SessionKey& session) {
  return db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(UserId buyer, sessions_.Authorize(conn, session));
    MP_RETURN_IF_ERROR(conn.Query(kDeleteSavedCart, {buyer.value}).status());
    return conn.Query(kSaveCart, {session.session_id, buyer.value}).status();
  });
}

}  // namespace mp::storage
