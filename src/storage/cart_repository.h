#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/status.h"
#include "customer_db.pb.h"
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

  StatusOr<v1::Cart> GetCart(const v1::SessionRequest& session);
  // kAborted/"insufficient_quantity" when the line would exceed `available`,
  // kFailedPrecondition/"cart_full" for a new line past kMaxCartLines.
  StatusOr<v1::Cart> AddToCart(const v1::SessionRequest& session, const std::string& item_id,
                               int64_t quantity, int64_t available);
  // Removes `quantity` units (all when absent); kNotFound when not in the cart.
  StatusOr<v1::Cart> RemoveFromCart(const v1::SessionRequest& session, const std::string& item_id,
                                    std::optional<int64_t> quantity);
  StatusOr<v1::Cart> ClearCart(const v1::SessionRequest& session);
  // The working cart becomes the buyer's saved cart.
  Status SaveCart(const v1::SessionRequest& session);

 private:
  StatusOr<v1::Cart> ReadCart(Connection& conn, const std::string& session_id, int64_t buyer_id);
  // `change` and the cart it leaves, in one transaction after Authorize.
  StatusOr<v1::Cart> ModifyCart(const v1::SessionRequest& session,
                                const std::function<Status(Connection&, int64_t)>& change);

  Database& db_;
  SessionRepository& sessions_;
};

}  // namespace mp::storage
