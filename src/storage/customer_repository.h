#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/types.h"
#include "customer_db.pb.h"
#include "storage/database.h"

namespace mp::storage {

// Accounts, sessions, carts and purchase history, over either engine. Each
// method is one transaction (or one consistent read). Arguments are assumed
// valid (the service checks them against docs/contract.md §2); what needs the database to
// decide is decided here. Thread-safe.
//
// Session-scoped methods fail with kUnauthenticated when the session is
// unknown, of another role, or expired; they count as activity, writing
// last_active only when it is more than the touch interval (a tenth of the
// timeout) old, so that reads stay reads. The stored last_active may thus lag
// the last request by up to the touch interval, and a session expires once
// it is idle past timeout + touch interval by that value: never earlier than
// the timeout after its last request, at most the touch interval later.
class CustomerRepository {
 public:
  struct Credentials {
    int64_t user_id = 0;
    std::string password_hash;
  };

  CustomerRepository(Database& db, const Clock& clock, int64_t session_timeout_ms);

  // How stale last_active may get before a request writes it; also the most
  // a session may outlive the timeout after its last request.
  static constexpr int64_t TouchIntervalMs(int64_t session_timeout_ms) {
    return session_timeout_ms / 10;
  }

  // Creates or upgrades the schema.
  static Status Migrate(Database& db);

  // kAlreadyExists/"username_taken" when the username is in use for `role`.
  StatusOr<int64_t> CreateAccount(v1::Role role, const std::string& username,
                                  const std::string& password_hash, const std::string& name);
  // kNotFound when there is no such account.
  StatusOr<Credentials> GetCredentials(v1::Role role, const std::string& username);
  StatusOr<v1::Account> GetAccount(v1::Role role, int64_t user_id);

  // Opens a session; a buyer's working cart starts as a copy of the saved one.
  Status CreateSession(const std::string& session_id, v1::Role role, int64_t user_id);
  // Ends the session and drops its working cart. OK when already gone.
  Status EndSession(const std::string& session_id);
  StatusOr<v1::SessionInfo> CheckSession(const v1::SessionRequest& session);
  // CheckSession of many sessions with one query (the frontends' batched
  // checks): one answer per session, in order. A failing database fails
  // every answer with its own error.
  std::vector<StatusOr<v1::SessionInfo>> CheckSessions(
      const std::vector<const v1::SessionRequest*>& sessions);
  // Deletes expired sessions (the rule above) with their working carts;
  // returns how many.
  StatusOr<int64_t> DeleteExpiredSessions();

  StatusOr<v1::Cart> GetCart(const v1::SessionRequest& session);
  // kAborted/"insufficient_quantity" when the line would exceed `available`.
  StatusOr<v1::Cart> AddToCart(const v1::SessionRequest& session, const std::string& item_id,
                               int64_t quantity, int64_t available);
  // Removes `quantity` units (all when absent); kNotFound when not in the cart.
  StatusOr<v1::Cart> RemoveFromCart(const v1::SessionRequest& session, const std::string& item_id,
                                    std::optional<int64_t> quantity);
  StatusOr<v1::Cart> ClearCart(const v1::SessionRequest& session);
  Status SaveCart(const v1::SessionRequest& session);

  // The purchase saga's durable record (docs/purchases.md). Starts the
  // attempt `purchase_id` from the session's working cart, or answers the
  // existing attempt of the same buyer as it stands.
  // kFailedPrecondition/"cart_empty" when there is nothing to buy,
  // kFailedPrecondition/"cart_full" past kMaxCartLines lines,
  // kAborted/"purchase_in_progress" while another attempt of the same
  // session's cart is pending.
  StatusOr<v1::PurchaseAttempt> BeginPurchase(const v1::SessionRequest& session,
                                              const std::string& purchase_id);
  // Idempotent on purchase_id: a second call changes nothing and answers
  // like the first. Completes the pending attempt of the same id, if any;
  // kFailedPrecondition/"purchase_not_pending" when it was undone. The bought units leave the
  // session's working cart (lines added meanwhile stay); the saved cart clears.
  StatusOr<v1::RecordPurchaseResponse> RecordPurchase(const v1::RecordPurchaseRequest& request);
  // Marks a pending attempt failed; a finished one is left as it is.
  // kNotFound when there is no such attempt.
  StatusOr<v1::PurchaseAttempt> FailPurchase(const std::string& purchase_id,
                                             const std::string& reason, const std::string& message);
  // Pending attempts started before `started_before_ms`, oldest first, from
  // after the cursor (created_ms, purchase_id) on.
  StatusOr<std::vector<v1::PurchaseAttempt>> ListPendingPurchases(
      int64_t started_before_ms, int limit, int64_t after_created_ms = 0,
      const std::string& after_purchase_id = "");
  // Newest first; `limit` lines from `offset`.
  StatusOr<v1::PurchaseList> ListPurchases(const v1::SessionRequest& session,
                                           int limit = kDefaultPurchasePage, int offset = 0);
  StatusOr<int64_t> GetPurchasedQuantity(int64_t buyer_id, const std::string& item_id);

 private:
  // Checks the session inside a write transaction and touches it if due.
  StatusOr<int64_t> Authorize(Connection& conn, const v1::SessionRequest& session);
  StatusOr<v1::PurchaseAttempt> ReadAttempt(Connection& conn, const std::string& purchase_id);
  StatusOr<v1::Cart> ReadCart(Connection& conn, const std::string& session_id, int64_t buyer_id);
  // What CheckSession does once the session's row is read: expiry, and a
  // touch when one is due.
  StatusOr<v1::SessionInfo> AcceptSession(const v1::SessionRequest& session, int64_t user_id,
                                          int64_t last_active_ms, int64_t now_ms);
  // The one expiry rule (see the class comment), for every check.
  bool Expired(int64_t last_active_ms, int64_t now_ms) const;
  StatusOr<v1::Cart> ModifyCart(const v1::SessionRequest& session,
                                const std::function<Status(Connection&, int64_t)>& change);

  Database& db_;
  const Clock& clock_;
  const int64_t timeout_ms_;
  const int64_t touch_interval_ms_;
};

}  // namespace mp::storage
