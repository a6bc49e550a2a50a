#include "storage/customer_repository.h"

#include <algorithm>
#include <unordered_map>

#include "common/types.h"
#include "storage/migrations.h"

namespace mp::storage {
namespace {

const Sql kInsertAccount{
    "INSERT INTO accounts (role, username, name, password_hash) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (role, username) DO NOTHING RETURNING id"};
const Sql kSelectCredentials{
    "SELECT id, password_hash FROM accounts WHERE role = $1 AND username = $2"};
const Sql kSelectAccount{"SELECT username, name, units FROM accounts WHERE role = $1 AND id = $2"};

const Sql kInsertSession{
    "INSERT INTO sessions (id, role, user_id, created_ms, last_active_ms) "
    "VALUES ($1, $2, $3, $4, $4)"};
const Sql kCopySavedCart{
    "INSERT INTO cart_lines (session_id, item_id, quantity) "
    "SELECT CAST($1 AS TEXT), item_id, quantity FROM saved_cart_lines WHERE buyer_id = $2"};
const Sql kSelectSession{
    "SELECT user_id, last_active_ms FROM sessions WHERE id = $1 AND role = $2"};
// A whole batch of session checks in one round trip: a JSON array on SQLite,
// an array on PostgreSQL (the ids are [A-Za-z0-9_-], see CheckSessions).
const Sql kSelectSessions{
    "SELECT id, role, user_id, last_active_ms FROM sessions "
    "WHERE id IN (SELECT value FROM json_each($1))",
    "SELECT id, role, user_id, last_active_ms FROM sessions WHERE id = ANY(CAST($1 AS TEXT[]))"};
// Writes of one session take turns on PostgreSQL, so two cart changes at once
// cannot both read the old line and lose one update. (SQLite writers already
// take turns.)
const Sql kLockSession{
    "SELECT user_id, last_active_ms FROM sessions WHERE id = $1 AND role = $2",
    "SELECT user_id, last_active_ms FROM sessions WHERE id = $1 AND role = $2 FOR UPDATE"};
const Sql kTouchSession{
    "UPDATE sessions SET last_active_ms = $2 WHERE id = $1 AND last_active_ms < $2"};
const Sql kDeleteSessionCart{"DELETE FROM cart_lines WHERE session_id = $1"};
const Sql kDeleteSession{"DELETE FROM sessions WHERE id = $1"};
const Sql kDeleteExpiredCarts{
    "DELETE FROM cart_lines WHERE session_id IN "
    "(SELECT id FROM sessions WHERE last_active_ms < $1)"};
const Sql kDeleteExpiredSessions{"DELETE FROM sessions WHERE last_active_ms < $1 RETURNING id"};

const Sql kSelectCart{
    "SELECT item_id, quantity FROM cart_lines WHERE session_id = $1 ORDER BY item_id"};
// The session check and the read in one statement (on PostgreSQL each
// statement is a round trip): no row means no such session. A session
// without cart lines gives one row with NULL item.
const Sql kSelectSessionCart{
    "SELECT s.user_id, s.last_active_ms, c.item_id, c.quantity FROM sessions s "
    "LEFT JOIN cart_lines c ON c.session_id = s.id WHERE s.id = $1 AND s.role = $2 "
    "ORDER BY c.item_id"};
const Sql kSelectCartLine{"SELECT quantity FROM cart_lines WHERE session_id = $1 AND item_id = $2"};
const Sql kUpsertCartLine{
    "INSERT INTO cart_lines (session_id, item_id, quantity) VALUES ($1, $2, $3) "
    "ON CONFLICT (session_id, item_id) DO UPDATE SET quantity = excluded.quantity"};
const Sql kDeleteCartLine{"DELETE FROM cart_lines WHERE session_id = $1 AND item_id = $2"};
const Sql kDeleteSavedCart{"DELETE FROM saved_cart_lines WHERE buyer_id = $1"};
const Sql kSaveCart{
    "INSERT INTO saved_cart_lines (buyer_id, item_id, quantity) "
    "SELECT CAST($2 AS BIGINT), item_id, quantity FROM cart_lines WHERE session_id = $1"};

const Sql kSelectPurchase{"SELECT time_ms FROM purchase_lines WHERE purchase_id = $1 LIMIT 1"};
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
const Sql kSelectAttemptLines{
    "SELECT item_id, quantity FROM purchase_attempt_lines WHERE purchase_id = $1 "
    "ORDER BY item_id"};
const Sql kSelectRecordedLines{
    "SELECT item_id, seller_id, quantity, price_cents FROM purchase_lines "
    "WHERE purchase_id = $1 ORDER BY item_id"};
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
// The line's units (NULL when absent) and the cart's number of lines, in one
// round trip.
const Sql kSelectCartLineAndCount{
    "SELECT (SELECT quantity FROM cart_lines WHERE session_id = $1 AND item_id = $2), "
    "(SELECT COUNT(*) FROM cart_lines WHERE session_id = $1)"};
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
const Sql kSelectPurchasedQuantity{
    "SELECT COALESCE(SUM(quantity), 0) FROM purchase_lines "
    "WHERE buyer_id = $1 AND item_id = $2"};

Status SessionEnded() { return Unauthenticated("session ended or expired; log in again"); }

Status PurchaseInProgress() {
  return Status(StatusCode::kAborted,
                "a purchase of this cart is in progress; look at the cart and the purchase "
                "history in a moment",
                "purchase_in_progress");
}

Status CartFull() {
  return Status(StatusCode::kFailedPrecondition,
                "a cart holds at most " + std::to_string(kMaxCartLines) + " items", "cart_full");
}

}  // namespace

CustomerRepository::CustomerRepository(Database& db, const Clock& clock, int64_t session_timeout_ms)
    : db_(db),
      clock_(clock),
      timeout_ms_(session_timeout_ms),
      touch_interval_ms_(TouchIntervalMs(session_timeout_ms)) {}

Status CustomerRepository::Migrate(Database& db) {
  return db.Migrate("customer_schema_version", db.engine() == Engine::kSqlite
                                                   ? SqliteCustomerMigrations()
                                                   : PostgresCustomerMigrations());
}

StatusOr<int64_t> CustomerRepository::CreateAccount(v1::Role role, const std::string& username,
                                                    const std::string& password_hash,
                                                    const std::string& name) {
  int64_t id = 0;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows,
                        conn.Query(kInsertAccount, {int64_t{role}, username, name, password_hash}));
    if (rows.empty()) {
      return Status(StatusCode::kAlreadyExists, "username '" + username + "' is taken",
                    "username_taken");
    }
    id = rows[0].Int(0);
    return Status();
  }));
  return id;
}

StatusOr<CustomerRepository::Credentials> CustomerRepository::GetCredentials(
    v1::Role role, const std::string& username) {
  Credentials creds;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectCredentials, {int64_t{role}, username}));
    if (rows.empty()) return NotFound("no such account");
    creds.user_id = rows[0].Int(0);
    creds.password_hash = rows[0].Text(1);
    return Status();
  }));
  return creds;
}

StatusOr<v1::Account> CustomerRepository::GetAccount(v1::Role role, int64_t user_id) {
  v1::Account account;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectAccount, {int64_t{role}, user_id}));
    if (rows.empty()) return NotFound("no account " + std::to_string(user_id));
    account.set_role(role);
    account.set_user_id(user_id);
    account.set_username(rows[0].Text(0));
    account.set_name(rows[0].Text(1));
    account.set_units(rows[0].Int(2));
    return Status();
  }));
  return account;
}

Status CustomerRepository::CreateSession(const std::string& session_id, v1::Role role,
                                         int64_t user_id) {
  return db_.Write([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(
        conn.Query(kInsertSession, {session_id, int64_t{role}, user_id, clock_.NowMs()}).status());
    if (role == v1::ROLE_BUYER) {
      MP_RETURN_IF_ERROR(conn.Query(kCopySavedCart, {session_id, user_id}).status());
    }
    return Status();
  });
}

Status CustomerRepository::EndSession(const std::string& session_id) {
  return db_.Write([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(conn.Query(kDeleteSessionCart, {session_id}).status());
    return conn.Query(kDeleteSession, {session_id}).status();
  });
}

bool CustomerRepository::Expired(int64_t last_active_ms, int64_t now_ms) const {
  return now_ms - last_active_ms > timeout_ms_ + touch_interval_ms_;
}

StatusOr<int64_t> CustomerRepository::Authorize(Connection& conn,
                                                const v1::SessionRequest& session) {
  MP_ASSIGN_OR_RETURN(Rows rows,
                      conn.Query(kLockSession, {session.session_id(), int64_t{session.role()}}));
  if (rows.empty()) return SessionEnded();
  int64_t now = clock_.NowMs();
  int64_t last_active = rows[0].Int(1);
  if (Expired(last_active, now)) return SessionEnded();
  if (now - last_active > touch_interval_ms_) {
    MP_RETURN_IF_ERROR(conn.Query(kTouchSession, {session.session_id(), now}).status());
  }
  return rows[0].Int(0);
}

StatusOr<v1::SessionInfo> CustomerRepository::CheckSession(const v1::SessionRequest& session) {
  int64_t now = clock_.NowMs();
  Rows rows;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(
        rows, conn.Query(kSelectSession, {session.session_id(), int64_t{session.role()}}));
    return Status();
  }));
  if (rows.empty()) return SessionEnded();
  return AcceptSession(session, rows[0].Int(0), rows[0].Int(1), now);
}

StatusOr<v1::SessionInfo> CustomerRepository::AcceptSession(const v1::SessionRequest& session,
                                                            int64_t user_id, int64_t last_active_ms,
                                                            int64_t now_ms) {
  if (Expired(last_active_ms, now_ms)) return SessionEnded();
  // Reads stay reads: only about one request per tenth of the timeout writes.
  if (now_ms - last_active_ms > touch_interval_ms_) {
    MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) {
      return conn.Query(kTouchSession, {session.session_id(), now_ms}).status();
    }));
  }
  v1::SessionInfo info;
  info.set_session_id(session.session_id());
  info.set_role(session.role());
  info.set_user_id(user_id);
  return info;
}

std::vector<StatusOr<v1::SessionInfo>> CustomerRepository::CheckSessions(
    const std::vector<const v1::SessionRequest*>& sessions) {
  struct Found {
    int64_t role;
    int64_t user_id;
    int64_t last_active;
  };
  std::unordered_map<std::string, Found> found;
  const int64_t now = clock_.NowMs();
  Status read = db_.Read([&](Connection& conn) -> Status {
    const bool sqlite = conn.engine() == Engine::kSqlite;
    std::string list = sqlite ? "[" : "{";
    for (const v1::SessionRequest* session : sessions) {
      // Only well-formed ids go into the list, which needs no quoting then;
      // any other id names no session.
      if (!ValidateKey("session_id", session->session_id()).ok()) continue;
      if (list.size() > 1) list += ',';
      list += '"';
      list += session->session_id();
      list += '"';
    }
    list += sqlite ? "]" : "}";
    if (list.size() == 2) return Status();
    return conn.ForEach(kSelectSessions, {list}, [&](const Row& row) {
      found.emplace(row.Text(0), Found{row.Int(1), row.Int(2), row.Int(3)});
      return true;
    });
  });
  std::vector<StatusOr<v1::SessionInfo>> answers;
  answers.reserve(sessions.size());
  std::vector<const std::string*> touch;
  for (const v1::SessionRequest* session : sessions) {
    if (!read.ok()) {
      answers.emplace_back(read);
      continue;
    }
    auto it = found.find(session->session_id());
    if (it == found.end() || it->second.role != int64_t{session->role()} ||
        Expired(it->second.last_active, now)) {
      answers.emplace_back(SessionEnded());
      continue;
    }
    if (now - it->second.last_active > touch_interval_ms_) {
      touch.push_back(&session->session_id());
      it->second.last_active = now;  // a session twice in the batch is touched once
    }
    v1::SessionInfo info;
    info.set_session_id(session->session_id());
    info.set_role(session->role());
    info.set_user_id(it->second.user_id);
    answers.emplace_back(std::move(info));
  }
  // Reads stay reads: only about one check per tenth of the timeout writes.
  if (!touch.empty()) {
    Status touched = db_.Write([&](Connection& conn) -> Status {
      for (const std::string* id : touch) {
        MP_RETURN_IF_ERROR(conn.Query(kTouchSession, {*id, now}).status());
      }
      return Status();
    });
    if (!touched.ok()) {
      for (auto& answer : answers) answer = touched;
    }
  }
  return answers;
}

StatusOr<int64_t> CustomerRepository::DeleteExpiredSessions() {
  int64_t deleted = 0;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    // The same rule as Expired(): idle past the timeout and the touch interval.
    int64_t cutoff = clock_.NowMs() - timeout_ms_ - touch_interval_ms_;
    MP_RETURN_IF_ERROR(conn.Query(kDeleteExpiredCarts, {cutoff}).status());
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kDeleteExpiredSessions, {cutoff}));
    deleted = static_cast<int64_t>(rows.size());
    return Status();
  }));
  return deleted;
}

StatusOr<v1::Cart> CustomerRepository::ReadCart(Connection& conn, const std::string& session_id,
                                                int64_t buyer_id) {
  MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectCart, {session_id}));
  v1::Cart cart;
  cart.set_buyer_id(buyer_id);
  for (const Row& row : rows) {
    v1::CartLine* line = cart.add_lines();
    line->set_item_id(row.Text(0));
    line->set_quantity(row.Int(1));
  }
  return cart;
}

StatusOr<v1::Cart> CustomerRepository::GetCart(const v1::SessionRequest& session) {
  int64_t now = clock_.NowMs();
  Rows rows;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(
        rows, conn.Query(kSelectSessionCart, {session.session_id(), int64_t{session.role()}}));
    return Status();
  }));
  if (rows.empty()) return SessionEnded();
  MP_ASSIGN_OR_RETURN(v1::SessionInfo info,
                      AcceptSession(session, rows[0].Int(0), rows[0].Int(1), now));
  v1::Cart cart;
  cart.set_buyer_id(info.user_id());
  for (const Row& row : rows) {
    if (row.IsNull(2)) continue;
    v1::CartLine* line = cart.add_lines();
    line->set_item_id(row.Text(2));
    line->set_quantity(row.Int(3));
  }
  return cart;
}

StatusOr<v1::Cart> CustomerRepository::ModifyCart(
    const v1::SessionRequest& session, const std::function<Status(Connection&, int64_t)>& change) {
  v1::Cart cart;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(int64_t buyer_id, Authorize(conn, session));
    MP_RETURN_IF_ERROR(change(conn, buyer_id));
    MP_ASSIGN_OR_RETURN(cart, ReadCart(conn, session.session_id(), buyer_id));
    return Status();
  }));
  return cart;
}

StatusOr<v1::Cart> CustomerRepository::AddToCart(const v1::SessionRequest& session,
                                                 const std::string& item_id, int64_t quantity,
                                                 int64_t available) {
  return ModifyCart(session, [&](Connection& conn, int64_t) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows,
                        conn.Query(kSelectCartLineAndCount, {session.session_id(), item_id}));
    bool new_line = rows[0].IsNull(0);
    int64_t in_cart = new_line ? 0 : rows[0].Int(0);
    if (new_line && rows[0].Int(1) >= kMaxCartLines) return CartFull();
    if (in_cart + quantity > available) {
      return InsufficientQuantity("item " + item_id + " has " + std::to_string(available) +
                                  " units for sale; the cart holds " + std::to_string(in_cart));
    }
    return conn.Query(kUpsertCartLine, {session.session_id(), item_id, in_cart + quantity})
        .status();
  });
}

StatusOr<v1::Cart> CustomerRepository::RemoveFromCart(const v1::SessionRequest& session,
                                                      const std::string& item_id,
                                                      std::optional<int64_t> quantity) {
  return ModifyCart(session, [&](Connection& conn, int64_t) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectCartLine, {session.session_id(), item_id}));
    if (rows.empty()) return NotFound("item " + item_id + " is not in the cart");
    int64_t left = quantity ? rows[0].Int(0) - *quantity : 0;
    if (left > 0) {
      return conn.Query(kUpsertCartLine, {session.session_id(), item_id, left}).status();
    }
    return conn.Query(kDeleteCartLine, {session.session_id(), item_id}).status();
  });
}

StatusOr<v1::Cart> CustomerRepository::ClearCart(const v1::SessionRequest& session) {
  return ModifyCart(session, [&](Connection& conn, int64_t) {
    return conn.Query(kDeleteSessionCart, {session.session_id()}).status();
  });
}

Status CustomerRepository::SaveCart(const v1::SessionRequest& session) {
  return db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(int64_t buyer_id, Authorize(conn, session));
    MP_RETURN_IF_ERROR(conn.Query(kDeleteSavedCart, {buyer_id}).status());
    return conn.Query(kSaveCart, {session.session_id(), buyer_id}).status();
  });
}

StatusOr<v1::RecordPurchaseResponse> CustomerRepository::RecordPurchase(
    const v1::RecordPurchaseRequest& request) {
  v1::RecordPurchaseResponse response;
  response.set_purchase_id(request.purchase_id());
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    // A purchase without an attempt is recorded as it comes (the saga
    // always begins one; tests and imports may not).
    MP_ASSIGN_OR_RETURN(Rows attempt, conn.Query(kLockAttempt, {request.purchase_id()}));
    MP_ASSIGN_OR_RETURN(Rows done, conn.Query(kSelectPurchase, {request.purchase_id()}));
    if (!done.empty()) {
      response.set_time_ms(done[0].Int(0));
      return Status();
    }
    if (!attempt.empty() && attempt[0].Int(0) != v1::PURCHASE_PENDING) {
      // Undone (FailPurchase) before this record arrived: recording it now
      // would sell units that were given back.
      return Status(StatusCode::kFailedPrecondition,
                    "purchase " + request.purchase_id() + " is no longer pending",
                    "purchase_not_pending");
    }
    int64_t total = 0;
    for (const v1::PurchaseLine& line : request.lines()) {
      MP_RETURN_IF_ERROR(AddToOrderTotal(total, line.price_cents(), line.quantity()));
    }
    int64_t now = clock_.NowMs();
    int64_t units = 0;
    for (const v1::PurchaseLine& line : request.lines()) {
      Status inserted = conn.Query(kInsertPurchaseLine,
                                   {request.purchase_id(), request.buyer_id(), line.item_id(),
                                    line.seller_id(), line.quantity(), line.price_cents(), now})
                            .status();
      if (inserted.reason() == kUniqueViolation) {
        // A concurrent call recorded the same purchase first (PostgreSQL,
        // without an attempt to lock): run again; the repeat answers it.
        return Status(StatusCode::kAborted, inserted.message(), kSerializationFailure);
      }
      MP_RETURN_IF_ERROR(inserted);
      MP_RETURN_IF_ERROR(conn.Query(kAddUnits, {line.seller_id(), line.quantity()}).status());
      units += line.quantity();
    }
    MP_RETURN_IF_ERROR(conn.Query(kAddUnits, {request.buyer_id(), units}).status());
    MP_RETURN_IF_ERROR(conn.Query(kCompleteAttempt, {request.purchase_id(), total, now}).status());
    if (!request.clear_session_id().empty()) {
      const std::string& session_id = request.clear_session_id();
      MP_RETURN_IF_ERROR(
          conn.Query(kDeleteBoughtLines, {session_id, request.purchase_id()}).status());
      MP_RETURN_IF_ERROR(
          conn.Query(kSubtractBoughtUnits, {session_id, request.purchase_id()}).status());
    }
    MP_RETURN_IF_ERROR(conn.Query(kDeleteSavedCart, {request.buyer_id()}).status());
    response.set_time_ms(now);
    return Status();
  }));
  return response;
}

StatusOr<v1::PurchaseAttempt> CustomerRepository::ReadAttempt(Connection& conn,
                                                              const std::string& purchase_id) {
  MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectAttempt, {purchase_id}));
  if (rows.empty()) return NotFound("no purchase " + purchase_id);
  const Row& row = rows[0];
  v1::PurchaseAttempt a;
  a.set_purchase_id(purchase_id);
  a.set_buyer_id(row.Int(0));
  a.set_session_id(row.Text(1));
  a.set_state(static_cast<v1::PurchaseState>(row.Int(2)));
  a.set_failure_reason(row.Text(3));
  a.set_failure_message(row.Text(4));
  a.set_total_cents(row.Int(5));
  a.set_created_ms(row.Int(6));
  a.set_finished_ms(row.Int(7));
  MP_ASSIGN_OR_RETURN(Rows lines, conn.Query(kSelectAttemptLines, {purchase_id}));
  for (const Row& line : lines) {
    v1::CartLine* l = a.add_lines();
    l->set_item_id(line.Text(0));
    l->set_quantity(line.Int(1));
  }
  if (a.state() == v1::PURCHASE_COMPLETED) {
    MP_ASSIGN_OR_RETURN(Rows recorded, conn.Query(kSelectRecordedLines, {purchase_id}));
    for (const Row& line : recorded) {
      v1::PurchaseLine* l = a.add_recorded();
      l->set_item_id(line.Text(0));
      l->set_seller_id(line.Int(1));
      l->set_quantity(line.Int(2));
      l->set_price_cents(line.Int(3));
    }
  }
  return a;
}

StatusOr<v1::PurchaseAttempt> CustomerRepository::BeginPurchase(const v1::SessionRequest& session,
                                                                const std::string& purchase_id) {
  v1::PurchaseAttempt attempt;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(int64_t buyer_id, Authorize(conn, session));
    auto existing = ReadAttempt(conn, purchase_id);
    if (existing.ok()) {
      if (existing->buyer_id() != buyer_id) return NotFound("no purchase " + purchase_id);
      attempt = std::move(existing).value();
      return Status();
    }
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    MP_ASSIGN_OR_RETURN(Rows in_flight, conn.Query(kSelectSessionPending, {session.session_id()}));
    if (!in_flight.empty()) return PurchaseInProgress();
    MP_ASSIGN_OR_RETURN(Rows cart, conn.Query(kSelectCart, {session.session_id()}));
    if (cart.empty()) {
      return Status(StatusCode::kFailedPrecondition, "the cart is empty", "cart_empty");
    }
    if (cart.size() > kMaxCartLines) return CartFull();
    Status inserted =
        conn.Query(kInsertAttempt, {purchase_id, buyer_id, session.session_id(), clock_.NowMs()})
            .status();
    if (inserted.reason() == kUniqueViolation) {
      // The same purchase id begun at once from another session of the
      // buyer (PostgreSQL): run again, and the repeat answers that attempt.
      return Status(StatusCode::kAborted, inserted.message(), kSerializationFailure);
    }
    MP_RETURN_IF_ERROR(inserted);
    for (const Row& line : cart) {
      MP_RETURN_IF_ERROR(
          conn.Query(kInsertAttemptLine, {purchase_id, line.Text(0), line.Int(1)}).status());
    }
    MP_ASSIGN_OR_RETURN(attempt, ReadAttempt(conn, purchase_id));
    return Status();
  }));
  return attempt;
}

StatusOr<v1::PurchaseAttempt> CustomerRepository::FailPurchase(const std::string& purchase_id,
                                                               const std::string& reason,
                                                               const std::string& message) {
  v1::PurchaseAttempt attempt;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(
        conn.Query(kFailAttempt, {purchase_id, reason, message, clock_.NowMs()}).status());
    MP_ASSIGN_OR_RETURN(attempt, ReadAttempt(conn, purchase_id));
    return Status();
  }));
  return attempt;
}

StatusOr<std::vector<v1::PurchaseAttempt>> CustomerRepository::ListPendingPurchases(
    int64_t started_before_ms, int limit, int64_t after_created_ms,
    const std::string& after_purchase_id) {
  std::vector<v1::PurchaseAttempt> attempts;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows,
                        conn.Query(kSelectPendingAttempts, {started_before_ms, after_created_ms,
                                                            after_purchase_id, int64_t{limit}}));
    for (const Row& row : rows) {
      MP_ASSIGN_OR_RETURN(v1::PurchaseAttempt a, ReadAttempt(conn, row.Text(0)));
      attempts.push_back(std::move(a));
    }
    return Status();
  }));
  return attempts;
}

StatusOr<v1::PurchaseList> CustomerRepository::ListPurchases(const v1::SessionRequest& session,
                                                             int limit, int offset) {
  int64_t now = clock_.NowMs();
  Rows rows;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(
        rows, conn.Query(kSelectSessionPurchases, {session.session_id(), int64_t{session.role()},
                                                   int64_t{limit}, int64_t{offset}}));
    return Status();
  }));
  v1::PurchaseList list;
  if (rows.empty()) {
    MP_RETURN_IF_ERROR(CheckSession(session).status());
    return list;
  }
  MP_RETURN_IF_ERROR(AcceptSession(session, rows[0].Int(0), rows[0].Int(1), now).status());
  for (const Row& row : rows) {
    if (row.IsNull(2)) continue;
    v1::Purchase* p = list.add_purchases();
    p->set_purchase_id(row.Text(2));
    p->set_item_id(row.Text(3));
    p->set_quantity(row.Int(4));
    p->set_price_cents(row.Int(5));
    p->set_time_ms(row.Int(6));
  }
  return list;
}

StatusOr<int64_t> CustomerRepository::GetPurchasedQuantity(int64_t buyer_id,
                                                           const std::string& item_id) {
  int64_t quantity = 0;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectPurchasedQuantity, {buyer_id, item_id}));
    quantity = rows.empty() ? 0 : rows[0].Int(0);
    return Status();
  }));
  return quantity;
}

}  // namespace mp::storage
