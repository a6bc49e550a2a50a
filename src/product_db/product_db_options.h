#pragma once

#include <string>

#include "tls/tls_files.h"

namespace mp::product_db {

struct ProductDbOptions {
  // gRPC listen address.
  std::string listen = "127.0.0.1:50052";
  // SQLite file path, or a postgresql:// URL.
  std::string db_uri = "data/product.db";
  // Threads running request handlers. 0 (the default) runs them inline on
  // gRPC's callback threads: one thread hand-off less per call, measured
  // faster with the embedded SQLite; a pool helps when the database is slow.
  int threads = 0;
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
