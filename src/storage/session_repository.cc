#include "storage/session_repository.h"

#include <unordered_map>

#include "common/types.h"
#include "storage/customer_sql.h"

namespace mp::storage {
namespace {

using customer_sql::kDeleteSessionCart;

const Sql kInsertSession{
    "INSERT INTO sessions (id, role, user_id, created_ms, last_active_ms) "
    "VALUES ($1, $2, $3, $4, $4)"};
const Sql kCopySavedCart{
    "INSERT INTO cart_lines (session_id, item_id, quantity) "
    "SELECT CAST($1 AS TEXT), item_id, quantity FROM saved_cart_lines WHERE buyer_id = $2"};
const Sql kSelectSession{
    "SELECT user_id, last_active_ms FROM sessions WHERE id = $1 AND role = $2"};
// Writes of one session take turns on PostgreSQL, so two cart changes at once
// cannot both read the old line and lose one update. (SQLite writers already
// take turns.)
const Sql kLockSession{
    "SELECT user_id, last_active_ms FROM sessions WHERE id = $1 AND role = $2",
    "SELECT user_id, last_active_ms FROM sessions WHERE id = $1 AND role = $2 FOR UPDATE"};
// Of kSelectSession and kLockSession.
struct SessionColumn {
  enum : size_t { kUserId, kLastActiveMs };
};
// A whole batch of session checks in one round trip: a JSON array on SQLite,
// an array on PostgreSQL (the ids are [A-Za-z0-9_-], see CheckSessions).
const Sql kSelectSessions{
    "SELECT id, role, user_id, last_active_ms FROM sessions "
    "WHERE id IN (SELECT value FROM json_each($1))",
    "SELECT id, role, user_id, last_active_ms FROM sessions WHERE id = ANY(CAST($1 AS TEXT[]))"};
struct SessionsColumn {
  enum : size_t { kId, kRole, kUserId, kLastActiveMs };
};
const Sql kTouchSession{
    "UPDATE sessions SET last_active_ms = $2 WHERE id = $1 AND last_active_ms < $2"};
const Sql kDeleteSession{"DELETE FROM sessions WHERE id = $1"};
// SessionRules::Expired in SQL, with $1 its ExpiredBefore.
#define MP_SESSION_EXPIRED "last_active_ms < $1"
const Sql kDeleteExpiredCarts{
    "DELETE FROM cart_lines WHERE session_id IN "
    "(SELECT id FROM sessions WHERE " MP_SESSION_EXPIRED ")"};
const Sql kDeleteExpiredSessions{"DELETE FROM sessions WHERE " MP_SESSION_EXPIRED " RETURNING id"};
#undef MP_SESSION_EXPIRED

}  // namespace

SessionRepository::SessionRepository(Database& db, const Clock& clock, int64_t session_timeout_ms)
    : db_(db), clock_(clock), rules_(session_timeout_ms) {}

Status SessionRepository::Ended() {
  return Unauthenticated("session ended or expired; log in again");
}

Status SessionRepository::CreateSession(const std::string& session_id, Role role, UserId user_id) {
  return db_.Write([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(conn.Query(kInsertSession, {session_id, static_cast<int64_t>(role),
                                                   user_id.value, clock_.NowMs()})
                           .status());
    if (role == Role::kBuyer) {
      MP_RETURN_IF_ERROR(conn.Query(kCopySavedCart, {session_id, user_id.value}).status());
    }
    return Status();
  });
}

Status SessionRepository::EndSession(const std::string& session_id) {
  return db_.Write([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(conn.Query(kDeleteSessionCart, {session_id}).status());
    return conn.Query(kDeleteSession, {session_id}).status();
  });
}

StatusOr<UserId> SessionRepository::Authorize(Connection& conn, const SessionKey& session) {
  MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kLockSession, {session.session_id,
                                                           static_cast<int64_t>(session.role)}));
  if (rows.empty()) return Ended();
  int64_t now = clock_.NowMs();
  int64_t last_active = rows[0].Int(SessionColumn::kLastActiveMs);
  if (rules_.Expired(last_active, now)) return Ended();
  if (rules_.TouchDue(last_active, now)) {
    MP_RETURN_IF_ERROR(conn.Query(kTouchSession, {session.session_id, now}).status());
  }
  return UserId(rows[0].Int(SessionColumn::kUserId));
}

StatusOr<SessionInfo> SessionRepository::CheckSession(const SessionKey& session) {
  int64_t now = clock_.NowMs();
  Rows rows;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(
        rows, conn.Query(kSelectSession, {session.session_id, static_cast<int64_t>(session.role)}));
    return Status();
  }));
  if (rows.empty()) return Ended();
  return Accept(session, UserId(rows[0].Int(SessionColumn::kUserId)),
                rows[0].Int(SessionColumn::kLastActiveMs), now);
}

StatusOr<SessionInfo> SessionRepository::Accept(const SessionKey& session, UserId user_id,
                                                int64_t last_active_ms, int64_t now_ms) {
  if (rules_.Expired(last_active_ms, now_ms)) return Ended();
  // Reads stay reads: only about one request per tenth of the timeout writes.
  if (rules_.TouchDue(last_active_ms, now_ms)) {
    MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) {
      return conn.Query(kTouchSession, {session.session_id, now_ms}).status();
    }));
  }
  return SessionInfo{session.session_id, session.role, user_id};
}

std::vector<StatusOr<SessionInfo>> SessionRepository::CheckSessions(
    const std::vector<SessionKey>& sessions) {
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
    for (const SessionKey& session : sessions) {
      // Only well-formed ids go into the list, which needs no quoting then;
      // any other id names no session.
      if (!ValidateKey("session_id", session.session_id).ok()) continue;
      if (list.size() > 1) list += ',';
      list += '"';
      list += session.session_id;
      list += '"';
    }
    list += sqlite ? "]" : "}";
    if (list.size() == 2) return Status();
    return conn.ForEach(kSelectSessions, {list}, [&](const Row& row) {
      found.emplace(row.Text(SessionsColumn::kId),
                    Found{row.Int(SessionsColumn::kRole), row.Int(SessionsColumn::kUserId),
                          row.Int(SessionsColumn::kLastActiveMs)});
      return true;
    });
  });
  std::vector<StatusOr<SessionInfo>> answers;
  answers.reserve(sessions.size());
  std::vector<const std::string*> touch;
  for (const SessionKey& session : sessions) {
    if (!read.ok()) {
      answers.emplace_back(read);
      continue;
    }
    auto it = found.find(session.session_id);
    if (it == found.end() || it->second.role != static_cast<int64_t>(session.role) ||
        rules_.Expired(it->second.last_active, now)) {
      answers.emplace_back(Ended());
      continue;
    }
    if (rules_.TouchDue(it->second.last_active, now)) {
      touch.push_back(&session.session_id);
      it->second.last_active = now;  // a session twice in the batch is touched once
    }
    answers.emplace_back(SessionInfo{session.session_id, session.role, UserId(it->second.user_id)});
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

StatusOr<int64_t> SessionRepository::DeleteExpiredSessions() {
  int64_t deleted = 0;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    int64_t expired_before = rules_.ExpiredBefore(clock_.NowMs());
    MP_RETURN_IF_ERROR(conn.Query(kDeleteExpiredCarts, {expired_before}).status());
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kDeleteExpiredSessions, {expired_before}));
    deleted = static_cast<int64_t>(rows.size());
    return Status();
  }));
  return deleted;
}

}  // namespace mp::storage
