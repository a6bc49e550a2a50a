#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/status.h"
#include "storage/customer_records.h"
#include "storage/database.h"
#include "storage/session_repository.h"

namespace mp::storage {

// Buyers' carts, over either engine: a working cart per session and a saved
// cart per buyer. Each method is one transaction (or one consistent read),
// which checks the session with `sessions` (its rules, and activity) and
// fails with kUnauthenticated as SessionRepository's checks do. Arguments
// are assumed valid (the service checks them against docs/contract.md §2).
// Thread-safe.
class CartRepository {
 public:
  // REQUIRES: `sessions` is over `db`.
  CartRepository(Database& db, SessionRepository& sessions) : db_(db), sessions_(sessions) {}

  StatusOr<Cart> GetCart(const SessionKey& session);
  // kAborted/"insufficient_quantity" when the line would exceed `available`,
  // kFailedPrecondition/"cart_full" for a new line past kMaxCartLines.
  StatusOr<Cart> AddToCart(const SessionKey& session, const ItemId& item_id, int64_t quantity,
                           int64_t available);
  // Removes `quantity` units (all when absent); kNotFound when not in the cart.
  StatusOr<Cart> RemoveFromCart(const SessionKey& session, const ItemId& item_id,
                                std::optional<int64_t> quantity);
  StatusOr<Cart> ClearCart(const SessionKey& session);
  // The working cart becomes the buyer's saved cart.
  Status SaveCart(const SessionKey& session);

 private:
  StatusOr<Cart> ReadCart(Connection& conn, const std::string& session_id, BuyerId buyer_id);
  // `change` and the cart it leaves, in one transaction after Authorize.
  StatusOr<Cart> ModifyCart(const SessionKey& session,
                            const std::function<Status(Connection&)>& change);

  Database& db_;
  SessionRepository& sessions_;
};

}  // namespace mp::storage
