#pragma once

#include <cstdint>
#include <string>

#include "tls/tls_files.h"

namespace mp::customer_db {

struct CustomerDbOptions {
  // gRPC listen address.
  std::string listen = "127.0.0.1:50051";
  // Also listen on this Unix socket (a path; empty: not), for frontends on
  // the same host: no TCP and no TLS on that hop (rpc/tls_credentials.h).
  std::string listen_unix;
  // SQLite file path, or a postgresql:// URL.
  std::string db_uri = "data/customer.db";
  // Threads running request handlers. 0 runs them inline on the thread
  // that polls gRPC's completion queue: one thread hand-off less per call,
  // the fastest with the embedded SQLite, which answers in microseconds.
  // A pool is needed when every query waits on a server: with one polling
  // thread, inline handlers would run one PostgreSQL round trip at a time.
  // -1 (the default): 0 on SQLite, --db-connections on PostgreSQL.
  int threads = -1;
  // Threads polling gRPC, each with its own completion queue: one costs
  // the fewest wake-ups per call; more let inline handlers use more cores.
  int polling_threads = 1;
  // Database connections kept open at most.
  int db_connections = 8;
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
  // Mutual TLS (tls/tls_files.h): with --tls-dir or the three files, only
  // clients with a frontend certificate from the CA get in. None: plaintext.
  tls::TlsFlags tls;
  // trace, debug, info, warn, error or off.
  std::string log_level = "info";
};

}  // namespace mp::customer_db
