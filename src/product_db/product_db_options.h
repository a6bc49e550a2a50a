#pragma once

#include <string>

#include "tls/tls_files.h"

namespace mp::product_db {

struct ProductDbOptions {
  // gRPC listen address.
  std::string listen = "127.0.0.1:50052";
  // Also listen on this Unix socket (a path; empty: not), for frontends on
  // the same host: no TCP and no TLS on that hop (rpc/tls_credentials.h).
  std::string listen_unix;
  // SQLite file path, or a postgresql:// URL.
  std::string db_uri = "data/product.db";
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
  // For tests only (common/fault.h): "after_take_commit" makes the process
  // die once a TakeStock transaction has committed, before it answers.
  // "" (the default): never.
  std::string crash_at;
  // Mutual TLS (tls/tls_files.h): with --tls-dir or the three files, only
  // clients with a frontend certificate from the CA get in. None: plaintext.
  tls::TlsFlags tls;
  // trace, debug, info, warn, error or off.
  std::string log_level = "info";
};

}  // namespace mp::product_db
