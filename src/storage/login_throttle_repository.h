#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/database.h"

namespace mp::storage {

// Failed logins, for throttling password guessing (docs/design.md, "Login
// throttling"), over either engine: the customer DB's login_failures table.
// Thread-safe.
class LoginThrottleRepository {
 public:
  LoginThrottleRepository(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // One key (e.g. a username at an address) and
  // how many failed logins it may have within the window.
  struct LoginBudget {
    std::string key;
    int64_t max_failures = 0;
  };
  // Milliseconds until every key is under its budget again: 0 when all are
  // now. Reads only; a cheap refusal before a password is hashed.
  StatusOr<int64_t> LoginRetryAfterMs(const std::vector<LoginBudget>& budgets, int64_t window_ms);
  // Settles a login whose password was checked: what LoginRetryAfterMs says,
  // then, only when it is 0 and the password was wrong, one failure recorded
  // under every key (failures older than the window are forgotten). A wrong
  // password's check and record are one transaction that holds its keys
  // (advisory locks on PostgreSQL; SQLite writers take turns), so concurrent
  // guesses are counted one after another and cannot exceed a budget. A
  // right password records nothing: successes never count.
  StatusOr<int64_t> SettleLogin(const std::vector<LoginBudget>& budgets, int64_t window_ms,
                                bool password_ok);

 private:
  // LoginRetryAfterMs on `conn`, at `now_ms`.
  StatusOr<int64_t> RetryAfterMs(Connection& conn, const std::vector<LoginBudget>& budgets,
                                 int64_t window_ms, int64_t now_ms);

  Database& db_;
  const Clock& clock_;
};

}  // namespace mp::storage
