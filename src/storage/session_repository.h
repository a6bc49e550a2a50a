#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/customer_records.h"
#include "storage/database.h"

namespace mp::storage {

// When a session ends: the one rule every check and the sweeper apply.
//
// Session-scoped calls count as activity, writing last_active only when it
// is more than the touch interval (a tenth of the timeout) old, so that
// reads stay reads. The stored last_active may thus lag the last request by
// up to the touch interval, and a session expires once it is idle past
// timeout + touch interval by that value: never earlier than the timeout
// after its last request, at most the touch interval later.
class SessionRules {
 public:
  explicit constexpr SessionRules(int64_t timeout_ms)
      : timeout_ms_(timeout_ms), touch_interval_ms_(TouchIntervalMs(timeout_ms)) {}

  // How stale last_active may get before a request writes it; also the most
  // a session may outlive the timeout after its last request.
  static constexpr int64_t TouchIntervalMs(int64_t timeout_ms) { return timeout_ms / 10; }

  // The stored last_active below which a session has ended at `now_ms`; SQL
  // compares with it (last_active_ms < bound), so that the sweeper deletes
  // exactly the sessions the checks refuse.
  constexpr int64_t ExpiredBefore(int64_t now_ms) const {
    return now_ms - timeout_ms_ - touch_interval_ms_;
  }
  constexpr bool Expired(int64_t last_active_ms, int64_t now_ms) const {
    return last_active_ms < ExpiredBefore(now_ms);
  }
  constexpr bool TouchDue(int64_t last_active_ms, int64_t now_ms) const {
    return now_ms - last_active_ms > touch_interval_ms_;
  }

 private:
  int64_t timeout_ms_;
  int64_t touch_interval_ms_;
};

// Sessions of the customer database, over either engine, under SessionRules.
// Each method is one transaction (or one consistent read, followed by a
// touch when one is due). Thread-safe.
//
// Checks fail with kUnauthenticated when the session is unknown, of another
// role, or expired. CartRepository and PurchaseRepository check their
// sessions through Authorize and Accept, inside their own statements.
class SessionRepository {
 public:
  SessionRepository(Database& db, const Clock& clock, int64_t session_timeout_ms);

  // Opens a session; a buyer's working cart starts as a copy of the saved one.
  Status CreateSession(const std::string& session_id, Role role, UserId user_id);
  // Ends the session and drops its working cart. OK when already gone.
  Status EndSession(const std::string& session_id);
  StatusOr<SessionInfo> CheckSession(const SessionKey& session);
  // CheckSession of many sessions with one query (the frontends' batched
  // checks): one answer per session, in order. A failing database fails
  // every answer with its own error.
  std::vector<StatusOr<SessionInfo>> CheckSessions(const std::vector<SessionKey>& sessions);
  // Deletes expired sessions with their working carts; returns how many.
  StatusOr<int64_t> DeleteExpiredSessions();

  // Checks the session inside the write transaction of `conn`, holding its
  // row (PostgreSQL) until the transaction ends, and touches it if due.
  // Returns the session's user id.
  StatusOr<UserId> Authorize(Connection& conn, const SessionKey& session);
  // The check of a session whose row a caller read at `now_ms` within its
  // own statement (one round trip for the check and the read): expiry, and
  // a touch, in a transaction of its own, when one is due.
  StatusOr<SessionInfo> Accept(const SessionKey& session, UserId user_id, int64_t last_active_ms,
                               int64_t now_ms);
  // The refusal of every check.
  static Status Ended();

  // The time sessions are checked at, for the callers of Accept.
  const Clock& clock() const { return clock_; }

 private:
  Database& db_;
  const Clock& clock_;
  const SessionRules rules_;
};

}  // namespace mp::storage
