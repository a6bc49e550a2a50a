#include "storage/purchase_repository.h"

#include "storage/customer_sql.h"

namespace mp::storage {
namespace {

using customer_sql::CartColumn;
using customer_sql::kDeleteSavedCart;
using customer_sql::kSelectCart;
using customer_sql::StoredItemId;

const Sql kSelectPurchase{"SELECT time_ms FROM purchase_lines WHERE purchase_id = $1 LIMIT 1"};
struct PurchaseColumn {
  enum : size_t { kTimeMs };
};
const Sql kInsertPurchaseLine{
    "INSERT INTO purchase_lines "
    "(purchase_id, buyer_id, item_id, seller_id, quantity, price_cents, time_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)"};
const Sql kAddUnits{"UPDATE accounts SET units = units + $2 WHERE id = $1"};
const Sql kCompleteAttempt{
    "UPDATE purchase_attempts SET state = 2, total_cents = $2, finished_ms = $3 "
    "WHERE purchase_id = $1 AND state = 1"};
const Sql kSelectAttempt{
    "SELECT buyer_id, session_id, state, failure_reason, failure_message, total_cents, "
    "created_ms, finished_ms FROM purchase_attempts WHERE purchase_id = $1"};
struct AttemptColumn {
  enum : size_t {
    kBuyerId,
    kSessionId,
    kState,
    kFailureReason,
    kFailureMessage,
    kTotalCents,
    kCreatedMs,
    kFinishedMs
  };
};
const Sql kSelectAttemptLines{
    "SELECT item_id, quantity FROM purchase_attempt_lines WHERE purchase_id = $1 "
    "ORDER BY item_id"};
struct AttemptLineColumn {
  enum : size_t { kItemId, kQuantity };
};
const Sql kSelectRecordedLines{
    "SELECT item_id, seller_id, quantity, price_cents FROM purchase_lines "
    "WHERE purchase_id = $1 ORDER BY item_id"};
struct RecordedLineColumn {
  enum : size_t { kItemId, kSellerId, kQuantity, kPriceCents };
};
const Sql kInsertAttempt{
    "INSERT INTO purchase_attempts (purchase_id, buyer_id, session_id, state, created_ms) "
    "VALUES ($1, $2, $3, 1, $4)"};
const Sql kInsertAttemptLine{
    "INSERT INTO purchase_attempt_lines (purchase_id, item_id, quantity) VALUES ($1, $2, $3)"};
const Sql kFailAttempt{
    "UPDATE purchase_attempts SET state = 3, failure_reason = $2, failure_message = $3, "
    "finished_ms = $4 WHERE purchase_id = $1 AND state = 1"};
const Sql kSelectPendingAttempts{
    "SELECT purchase_id FROM purchase_attempts WHERE state = 1 AND created_ms < $1 "
    "AND (created_ms > $2 OR (created_ms = $2 AND purchase_id > $3)) "
    "ORDER BY created_ms, purchase_id LIMIT $4"};
struct PendingAttemptColumn {
  enum : size_t { kPurchaseId };
};
// The purchase in flight of a session's cart, if any (docs/contract.md §5: at most one).
// BeginPurchase runs after Authorize, which holds the session's row lock on
// PostgreSQL, so two begins of one cart cannot both see none.
const Sql kSelectSessionPending{
    "SELECT purchase_id FROM purchase_attempts WHERE session_id = $1 AND state = 1 LIMIT 1"};
// Every step of one purchase takes turns on its attempt's row (PostgreSQL;
// SQLite writers already take turns), so a step sees what the one before
// it did.
const Sql kLockAttempt{"SELECT state FROM purchase_attempts WHERE purchase_id = $1",
                       "SELECT state FROM purchase_attempts WHERE purchase_id = $1 FOR UPDATE"};
struct LockAttemptColumn {
  enum : size_t { kState };
};
// What was bought (the purchase lines just written) leaves the working
// cart; a line added, or units added, while the purchase ran stay.
const Sql kDeleteBoughtLines{
    "DELETE FROM cart_lines WHERE session_id = $1 AND quantity <= "
    "(SELECT p.quantity FROM purchase_lines p "
    "WHERE p.purchase_id = $2 AND p.item_id = cart_lines.item_id)"};
const Sql kSubtractBoughtUnits{
    "UPDATE cart_lines SET quantity = quantity - "
    "(SELECT p.quantity FROM purchase_lines p "
    "WHERE p.purchase_id = $2 AND p.item_id = cart_lines.item_id) "
    "WHERE session_id = $1 AND item_id IN "
    "(SELECT item_id FROM purchase_lines WHERE purchase_id = $2)"};
// The session check and a page of the buyer's history in one statement; a
// session without purchases gives one row with NULL purchase, and no row
// means no such session or a page past the end (CheckSession then tells).
const Sql kSelectSessionPurchases{
    "SELECT s.user_id, s.last_active_ms, p.purchase_id, p.item_id, p.quantity, p.price_cents, "
    "p.time_ms FROM sessions s LEFT JOIN purchase_lines p ON p.buyer_id = s.user_id "
    "WHERE s.id = $1 AND s.role = $2 "
    "ORDER BY p.time_ms DESC, p.purchase_id, p.item_id LIMIT $3 OFFSET $4"};
struct SessionPurchaseColumn {
  enum : size_t { kUserId, kLastActiveMs, kPurchaseId, kItemId, kQuantity, kPriceCents, kTimeMs };
};
const Sql kSelectPurchasedQuantity{
    "SELECT COALESCE(SUM(quantity), 0) FROM purchase_lines "
    "WHERE buyer_id = $1 AND item_id = $2"};
struct PurchasedQuantityColumn {
  enum : size_t { kQuantity };
};

Status PurchaseInProgress() {
  return Status(StatusCode::kAborted,
                "a purchase of this cart is in progress; look at the cart and the purchase "
                "history in a moment",
                kPurchaseInProgress);
}

}  // namespace

StatusOr<RecordedPurchase> PurchaseRepository::RecordPurchase(const PurchaseRecord& record) {
  RecordedPurchase recorded{.purchase_id = record.purchase_id};
  const std::string& purchase_id = record.purchase_id;
  const int64_t buyer = record.buyer_id.value;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    // A purchase without an attempt is recorded as it comes (the saga
    // always begins one; tests and imports may not).
    MP_ASSIGN_OR_RETURN(Rows attempt, conn.Query(kLockAttempt, {purchase_id}));
    MP_ASSIGN_OR_RETURN(Rows done, conn.Query(kSelectPurchase, {purchase_id}));
    if (!done.empty()) {
      recorded.time_ms = done[0].Int(PurchaseColumn::kTimeMs);
      return Status();
    }
    if (!attempt.empty() && attempt[0].Int(LockAttemptColumn::kState) !=
                                static_cast<int64_t>(PurchaseState::kPending)) {
      // Undone (FailPurchase) before this record arrived: recording it now
      // would sell units that were given back.
      return Status(StatusCode::kFailedPrecondition,
                    "purchase " + purchase_id + " is no longer pending", kPurchaseNotPending);
    }
    int64_t total = 0;
    for (const PurchaseLine& line : record.lines) {
      MP_RETURN_IF_ERROR(AddToOrderTotal(total, line.price_cents, line.quantity));
    }
    int64_t now = sessions_.clock().NowMs();
    int64_t units = 0;
    for (const PurchaseLine& line : record.lines) {
      Status inserted = conn.Query(kInsertPurchaseLine,
                                   {purchase_id, buyer, line.item_id.ToString(),
                                    line.seller_id.value, line.quantity, line.price_cents, now})
                            .status();
      if (inserted.reason() == kUniqueViolation) {
        // A concurrent call recorded the same purchase first (PostgreSQL,
        // without an attempt to lock): run again; the repeat answers it.
        return Status(StatusCode::kAborted, inserted.message(), kSerializationFailure);
      }
      MP_RETURN_IF_ERROR(inserted);
      MP_RETURN_IF_ERROR(conn.Query(kAddUnits, {line.seller_id.value, line.quantity}).status());
      units += line.quantity;
    }
    MP_RETURN_IF_ERROR(conn.Query(kAddUnits, {buyer, units}).status());
    MP_RETURN_IF_ERROR(conn.Query(kCompleteAttempt, {purchase_id, total, now}).status());
    if (!record.clear_session_id.empty()) {
      const std::string& session_id = record.clear_session_id;
      MP_RETURN_IF_ERROR(conn.Query(kDeleteBoughtLines, {session_id, purchase_id}).status());
      MP_RETURN_IF_ERROR(conn.Query(kSubtractBoughtUnits, {session_id, purchase_id}).status());
    }
    MP_RETURN_IF_ERROR(conn.Query(kDeleteSavedCart, {buyer}).status());
    recorded.time_ms = now;
    return Status();
  }));
  return recorded;
}

StatusOr<PurchaseAttempt> PurchaseRepository::ReadAttempt(Connection& conn,
                                                          const std::string& purchase_id) {
  MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectAttempt, {purchase_id}));
  if (rows.empty()) return NotFound("no purchase " + purchase_id);
  const Row& row = rows[0];
  PurchaseAttempt a{.purchase_id = purchase_id,
                    .buyer_id = BuyerId(row.Int(AttemptColumn::kBuyerId)),
                    .session_id = row.Text(AttemptColumn::kSessionId),
                    .state = static_cast<PurchaseState>(row.Int(AttemptColumn::kState)),
                    .total_cents = row.Int(AttemptColumn::kTotalCents),
                    .failure_reason = row.Text(AttemptColumn::kFailureReason),
                    .failure_message = row.Text(AttemptColumn::kFailureMessage),
                    .created_ms = row.Int(AttemptColumn::kCreatedMs),
                    .finished_ms = row.Int(AttemptColumn::kFinishedMs)};
  MP_ASSIGN_OR_RETURN(Rows lines, conn.Query(kSelectAttemptLines, {purchase_id}));
  for (const Row& line : lines) {
    MP_ASSIGN_OR_RETURN(ItemId id, StoredItemId(line.Text(AttemptLineColumn::kItemId)));
    a.lines.push_back({id, line.Int(AttemptLineColumn::kQuantity)});
  }
  if (a.state == PurchaseState::kCompleted) {
    MP_ASSIGN_OR_RETURN(Rows bought, conn.Query(kSelectRecordedLines, {purchase_id}));
    for (const Row& line : bought) {
      MP_ASSIGN_OR_RETURN(ItemId id, StoredItemId(line.Text(RecordedLineColumn::kItemId)));
      a.recorded.push_back({id, SellerId(line.Int(RecordedLineColumn::kSellerId)),
                            line.Int(RecordedLineColumn::kQuantity),
                            line.Int(RecordedLineColumn::kPriceCents)});
    }
  }
  return a;
}

StatusOr<PurchaseAttempt> PurchaseRepository::BeginPurchase(const SessionKey& session,
                                                            const std::string& purchase_id) {
  PurchaseAttempt attempt;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(UserId user, sessions_.Authorize(conn, session));
    const BuyerId buyer_id(user.value);
    auto existing = ReadAttempt(conn, purchase_id);
    if (existing.ok()) {
      if (existing->buyer_id != buyer_id) return NotFound("no purchase " + purchase_id);
      attempt = std::move(existing).value();
      return Status();
    }
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    MP_ASSIGN_OR_RETURN(Rows in_flight, conn.Query(kSelectSessionPending, {session.session_id}));
    if (!in_flight.empty()) return PurchaseInProgress();
    MP_ASSIGN_OR_RETURN(Rows cart, conn.Query(kSelectCart, {session.session_id}));
    if (cart.empty()) {
      return Status(StatusCode::kFailedPrecondition, "the cart is empty", kCartEmpty);
    }
    if (cart.size() > kMaxCartLines) return customer_sql::CartFull();
    Status inserted = conn.Query(kInsertAttempt, {purchase_id, buyer_id.value, session.session_id,
                                                  sessions_.clock().NowMs()})
                          .status();
    if (inserted.reason() == kUniqueViolation) {
      // The same purchase id begun at once from another session of the
      // buyer (PostgreSQL): run again, and the repeat answers that attempt.
      return Status(StatusCode::kAborted, inserted.message(), kSerializationFailure);
    }
    MP_RETURN_IF_ERROR(inserted);
    for (const Row& line : cart) {
      MP_RETURN_IF_ERROR(
          conn.Query(kInsertAttemptLine,
                     {purchase_id, line.Text(CartColumn::kItemId), line.Int(CartColumn::kQuantity)})
              .status());
    }
    MP_ASSIGN_OR_RETURN(attempt, ReadAttempt(conn, purchase_id));
    return Status();
  }));
  return attempt;
}

StatusOr<PurchaseAttempt> PurchaseRepository::FailPurchase(const std::string& purchase_id,
                                                           const std::string& reason,
                                                           const std::string& message) {
  PurchaseAttempt attempt;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(
        conn.Query(kFailAttempt, {purchase_id, reason, message, sessions_.clock().NowMs()})
            .status());
    MP_ASSIGN_OR_RETURN(attempt, ReadAttempt(conn, purchase_id));
    return Status();
  }));
  return attempt;
}

StatusOr<std::vector<PurchaseAttempt>> PurchaseRepository::ListPendingPurchases(
    int64_t started_before_ms, int limit, int64_t after_created_ms,
    const std::string& after_purchase_id) {
  std::vector<PurchaseAttempt> attempts;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows,
                        conn.Query(kSelectPendingAttempts, {started_before_ms, after_created_ms,
                                                            after_purchase_id, int64_t{limit}}));
    for (const Row& row : rows) {
      MP_ASSIGN_OR_RETURN(PurchaseAttempt a,
                          ReadAttempt(conn, row.Text(PendingAttemptColumn::kPurchaseId)));
      attempts.push_back(std::move(a));
    }
    return Status();
  }));
  return attempts;
}

StatusOr<std::vector<Purchase>> PurchaseRepository::ListPurchases(const SessionKey& session,
                                                                  int limit, int offset) {
  int64_t now = sessions_.clock().NowMs();
  Rows rows;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(rows, conn.Query(kSelectSessionPurchases,
                                         {session.session_id, static_cast<int64_t>(session.role),
                                          int64_t{limit}, int64_t{offset}}));
    return Status();
  }));
  std::vector<Purchase> list;
  if (rows.empty()) {
    MP_RETURN_IF_ERROR(sessions_.CheckSession(session).status());
    return list;
  }
  MP_RETURN_IF_ERROR(sessions_
                         .Accept(session, UserId(rows[0].Int(SessionPurchaseColumn::kUserId)),
                                 rows[0].Int(SessionPurchaseColumn::kLastActiveMs), now)
                         .status());
  for (const Row& row : rows) {
    if (row.IsNull(SessionPurchaseColumn::kPurchaseId)) continue;
    MP_ASSIGN_OR_RETURN(ItemId id, StoredItemId(row.Text(SessionPurchaseColumn::kItemId)));
    list.push_back({.purchase_id = row.Text(SessionPurchaseColumn::kPurchaseId),
                    .item_id = id,
                    .quantity = row.Int(SessionPurchaseColumn::kQuantity),
                    .price_cents = row.Int(SessionPurchaseColumn::kPriceCents),
                    .time_ms = row.Int(SessionPurchaseColumn::kTimeMs)});
  }
  return list;
}

StatusOr<int64_t> PurchaseRepository::GetPurchasedQuantity(BuyerId buyer_id,
                                                           const ItemId& item_id) {
  int64_t quantity = 0;
  const std::string item = item_id.ToString();
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectPurchasedQuantity, {buyer_id.value, item}));
    quantity = rows.empty() ? 0 : rows[0].Int(PurchasedQuantityColumn::kQuantity);
    return Status();
  }));
  return quantity;
}

}  // namespace mp::storage
