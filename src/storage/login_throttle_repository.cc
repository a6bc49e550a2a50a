#include "storage/login_throttle_repository.h"

#include <algorithm>

namespace mp::storage {
namespace {

// The failure that puts a key at its budget: the ($3 + 1)-th newest within
// the window (at_ms > now - window; $3 = budget - 1), if there are that many.
// It leaves the window at at_ms + window, and the key is under its budget
// again then. (Index login_failures_by_key reads at most a budget's rows.)
const Sql kSelectBudgetFailure{
    "SELECT at_ms FROM login_failures WHERE throttle_key = $1 AND at_ms > $2 "
    "ORDER BY at_ms DESC LIMIT 1 OFFSET $3"};
// A wrong password's count and record take turns per key (SQLite writers
// already take turns). The two-key form with its own class (7262003, next to
// database.cc's 7262001 and product_repository.cc's 7262002) keeps it apart
// from the other advisory locks of a shared database.
const Sql kLockThrottleKey{nullptr, "SELECT pg_advisory_xact_lock(7262003, hashtext($1))"};
const Sql kInsertLoginFailure{"INSERT INTO login_failures (throttle_key, at_ms) VALUES ($1, $2)"};
const Sql kForgetLoginFailures{"DELETE FROM login_failures WHERE at_ms < $1"};
}  // namespace

StatusOr<int64_t> LoginThrottleRepository::RetryAfterMs(Connection& conn,
                                                        const std::vector<LoginBudget>& budgets,
                                                        int64_t window_ms, int64_t now_ms) {
  int64_t wait_ms = 0;
  for (const LoginBudget& budget : budgets) {
    if (budget.max_failures <= 0) return window_ms;  // no failure is allowed at all
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectBudgetFailure, {budget.key, now_ms - window_ms,
                                                                     budget.max_failures - 1}));
    if (rows.empty()) continue;
    wait_ms = std::max(wait_ms, rows[0].Int(0) + window_ms - now_ms);
  }
  return wait_ms;
}

StatusOr<int64_t> LoginThrottleRepository::LoginRetryAfterMs(
    const std::vector<LoginBudget>& budgets, int64_t window_ms) {
  int64_t wait_ms = 0;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(wait_ms, RetryAfterMs(conn, budgets, window_ms, clock_.NowMs()));
    return Status();
  }));
  return wait_ms;
}

StatusOr<int64_t> LoginThrottleRepository::SettleLogin(const std::vector<LoginBudget>& budgets,
                                                       int64_t window_ms, bool password_ok) {
  // A right password needs no lock: it writes nothing, and whatever failures
  // commit after this read are ordered after it.
  if (password_ok) return LoginRetryAfterMs(budgets, window_ms);
  // Locks in one order (by key), so two guesses never wait for each other.
  std::vector<const LoginBudget*> sorted;
  for (const LoginBudget& budget : budgets) sorted.push_back(&budget);
  std::sort(sorted.begin(), sorted.end(),
            [](const LoginBudget* a, const LoginBudget* b) { return a->key < b->key; });
  int64_t wait_ms = 0;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    for (const LoginBudget* budget : sorted) {
      MP_RETURN_IF_ERROR(conn.Query(kLockThrottleKey, {budget->key}).status());
    }
    const int64_t now = clock_.NowMs();
    MP_ASSIGN_OR_RETURN(wait_ms, RetryAfterMs(conn, budgets, window_ms, now));
    if (wait_ms > 0) return Status();  // over a budget: this guess is not counted
    MP_RETURN_IF_ERROR(conn.Query(kForgetLoginFailures, {now - window_ms}).status());
    for (const LoginBudget* budget : sorted) {
      MP_RETURN_IF_ERROR(conn.Query(kInsertLoginFailure, {budget->key, now}).status());
    }
    return Status();
  }));
  return wait_ms;
}

}  // namespace mp::storage
