#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/types.h"
#include "storage/customer_records.h"
#include "storage/database.h"
#include "storage/session_repository.h"

namespace mp::storage {

// The purchase saga's durable record (docs/purchases.md) and the buyers'
// purchase history, over either engine. Each method is one transaction (or
// one consistent read); the session-scoped ones check the session with
// `sessions` and fail with kUnauthenticated as SessionRepository's checks
// do. Arguments are assumed valid (the service checks them against
// docs/contract.md §2). Thread-safe.
class PurchaseRepository {
 public:
  // REQUIRES: `sessions` is over `db`.
  PurchaseRepository(Database& db, SessionRepository& sessions) : db_(db), sessions_(sessions) {}

  // Starts the attempt `purchase_id` from the session's working cart, or
  // answers the existing attempt of the same buyer as it stands.
  // kFailedPrecondition/"cart_empty" when there is nothing to buy,
  // kFailedPrecondition/"cart_full" past kMaxCartLines lines,
  // kAborted/"purchase_in_progress" while another attempt of the same
  // session's cart is pending.
  StatusOr<PurchaseAttempt> BeginPurchase(const SessionKey& session,
                                          const std::string& purchase_id);
  // Idempotent on purchase_id: a second call changes nothing and answers
  // like the first. Completes the pending attempt of the same id, if any;
  // kFailedPrecondition/"purchase_not_pending" when it was undone. The bought units leave the
  // session's working cart (lines added meanwhile stay); the saved cart clears.
  StatusOr<RecordedPurchase> RecordPurchase(const PurchaseRecord& record);
  // Marks a pending attempt failed; a finished one is left as it is.
  // kNotFound when there is no such attempt.
  StatusOr<PurchaseAttempt> FailPurchase(const std::string& purchase_id, const std::string& reason,
                                         const std::string& message);
  // Pending attempts started before `started_before_ms`, oldest first, from
  // after the cursor (created_ms, purchase_id) on.
  StatusOr<std::vector<PurchaseAttempt>> ListPendingPurchases(
      int64_t started_before_ms, int limit, int64_t after_created_ms = 0,
      const std::string& after_purchase_id = "");
  // Newest first; `limit` lines from `offset`.
  StatusOr<std::vector<Purchase>> ListPurchases(const SessionKey& session,
                                                int limit = kDefaultPurchasePage, int offset = 0);
  StatusOr<int64_t> GetPurchasedQuantity(BuyerId buyer_id, const ItemId& item_id);

 private:
  StatusOr<PurchaseAttempt> ReadAttempt(Connection& conn, const std::string& purchase_id);

  Database& db_;
  SessionRepository& sessions_;
};

}  // namespace mp::storage
