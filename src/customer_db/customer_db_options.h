#pragma once

#include <cstdint>

#include "db_service/db_service.h"

namespace mp::customer_db {

struct CustomerDbOptions : db_service::DbServiceOptions {
  CustomerDbOptions() {
    listen = "127.0.0.1:50051";
    db_uri = "data/customer.db";
  }
  // A session ends after this long without a request (docs/contract.md §3).
  int64_t session_timeout_s = 300;
  // Password hashes computed at once; each holds 19 MiB for ~50 ms.
  int hash_concurrency = 2;
  // Failed logins allowed per username (and role) at one client address
  // within the window before further attempts from that address get
  // RESOURCE_EXHAUSTED (docs/contract.md §3). Other addresses keep their own budgets, so
  // a guesser cannot lock the owner out. Successes never count.
  int login_failures_per_user = 5;
  // The same per client address, whatever the usernames (one host guessing
  // many usernames).
  int login_failures_per_address = 50;
  // The sliding window of the two budgets above, in seconds.
  int login_failure_window_s = 60;
};

}  // namespace mp::customer_db
