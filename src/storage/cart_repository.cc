#include "storage/cart_repository.h"

#include "common/types.h"
#include "storage/customer_sql.h"

namespace mp::storage {
namespace {

using customer_sql::CartColumn;
using customer_sql::kDeleteSavedCart;
using customer_sql::kDeleteSessionCart;
using customer_sql::kSelectCart;

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

StatusOr<v1::Cart> CartRepository::ReadCart(Connection& conn, const std::string& session_id,
                                            int64_t buyer_id) {
  MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectCart, {session_id}));
  v1::Cart cart;
  cart.set_buyer_id(buyer_id);
  for (const Row& row : rows) {
    v1::CartLine* line = cart.add_lines();
    line->set_item_id(row.Text(CartColumn::kItemId));
    line->set_quantity(row.Int(CartColumn::kQuantity));
  }
  return cart;
}

StatusOr<v1::Cart> CartRepository::GetCart(const v1::SessionRequest& session) {
  int64_t now = sessions_.clock().NowMs();
  Rows rows;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(
        rows, conn.Query(kSelectSessionCart, {session.session_id(), int64_t{session.role()}}));
    return Status();
  }));
  if (rows.empty()) return SessionRepository::Ended();
  MP_ASSIGN_OR_RETURN(v1::SessionInfo info,
                      sessions_.Accept(session, rows[0].Int(SessionCartColumn::kUserId),
                                       rows[0].Int(SessionCartColumn::kLastActiveMs), now));
  v1::Cart cart;
  cart.set_buyer_id(info.user_id());
  for (const Row& row : rows) {
    if (row.IsNull(SessionCartColumn::kItemId)) continue;
    v1::CartLine* line = cart.add_lines();
    line->set_item_id(row.Text(SessionCartColumn::kItemId));
    line->set_quantity(row.Int(SessionCartColumn::kQuantity));
  }
  return cart;
}

StatusOr<v1::Cart> CartRepository::ModifyCart(
    const v1::SessionRequest& session, const std::function<Status(Connection&, int64_t)>& change) {
  v1::Cart cart;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(int64_t buyer_id, sessions_.Authorize(conn, session));
    MP_RETURN_IF_ERROR(change(conn, buyer_id));
    MP_ASSIGN_OR_RETURN(cart, ReadCart(conn, session.session_id(), buyer_id));
    return Status();
  }));
  return cart;
}

StatusOr<v1::Cart> CartRepository::AddToCart(const v1::SessionRequest& session,
                                             const std::string& item_id, int64_t quantity,
                                             int64_t available) {
  return ModifyCart(session, [&](Connection& conn, int64_t) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows,
                        conn.Query(kSelectCartLineAndCount, {session.session_id(), item_id}));
    bool new_line = rows[0].IsNull(CartLineAndCountColumn::kQuantity);
    int64_t in_cart = new_line ? 0 : rows[0].Int(CartLineAndCountColumn::kQuantity);
    if (new_line && rows[0].Int(CartLineAndCountColumn::kLines) >= kMaxCartLines) {
      return customer_sql::CartFull();
    }
    if (in_cart + quantity > available) {
      return InsufficientQuantity("item " + item_id + " has " + std::to_string(available) +
                                  " units for sale; the cart holds " + std::to_string(in_cart));
    }
    return conn.Query(kUpsertCartLine, {session.session_id(), item_id, in_cart + quantity})
        .status();
  });
}

StatusOr<v1::Cart> CartRepository::RemoveFromCart(const v1::SessionRequest& session,
                                                  const std::string& item_id,
                                                  std::optional<int64_t> quantity) {
  return ModifyCart(session, [&](Connection& conn, int64_t) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectCartLine, {session.session_id(), item_id}));
    if (rows.empty()) return NotFound("item " + item_id + " is not in the cart");
    int64_t left = quantity ? rows[0].Int(CartLineColumn::kQuantity) - *quantity : 0;
    if (left > 0) {
      return conn.Query(kUpsertCartLine, {session.session_id(), item_id, left}).status();
    }
    return conn.Query(kDeleteCartLine, {session.session_id(), item_id}).status();
  });
}

StatusOr<v1::Cart> CartRepository::ClearCart(const v1::SessionRequest& session) {
  return ModifyCart(session, [&](Connection& conn, int64_t) {
    return conn.Query(kDeleteSessionCart, {session.session_id()}).status();
  });
}

Status CartRepository::SaveCart(const v1::SessionRequest& session) {
  return db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(int64_t buyer_id, sessions_.Authorize(conn, session));
    MP_RETURN_IF_ERROR(conn.Query(kDeleteSavedCart, {buyer_id}).status());
    return conn.Query(kSaveCart, {session.session_id(), buyer_id}).status();
  });
}

}  // namespace mp::storage
