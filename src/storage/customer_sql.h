#pragma once
// What the repositories of the customer database share: the statements that
// more than one of them runs (one instance each, since connections cache
// their prepared form by address), with their columns, and the refusal of a
// full cart. Internal to src/storage.

#include <cstddef>
#include <string>

#include "common/status.h"
#include "common/types.h"
#include "storage/database.h"

namespace mp::storage::customer_sql {

// A working cart's lines (CartRepository, and PurchaseRepository's begin).
inline constexpr Sql kSelectCart{
    "SELECT item_id, quantity FROM cart_lines WHERE session_id = $1 ORDER BY item_id"};
struct CartColumn {
  enum : size_t { kItemId, kQuantity };
};

// EndSession and ClearCart.
inline constexpr Sql kDeleteSessionCart{"DELETE FROM cart_lines WHERE session_id = $1"};
// SaveCart, and a recorded purchase.
inline constexpr Sql kDeleteSavedCart{"DELETE FROM saved_cart_lines WHERE buyer_id = $1"};

inline Status CartFull() {
  return Status(StatusCode::kFailedPrecondition,
                "a cart holds at most " + std::to_string(kMaxCartLines) + " items", kCartFull);
}

// An item id read back from a column (written only once checked).
inline StatusOr<ItemId> StoredItemId(const std::string& text) {
  StatusOr<ItemId> id = ItemId::Parse(text);
  if (!id.ok()) return Internal("a stored item id is not one: '" + text + "'");
  return id;
}

}  // namespace mp::storage::customer_sql
