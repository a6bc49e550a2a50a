#pragma once

#include <string>

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
  // trace, debug, info, warn, error or off.
  std::string log_level = "info";
};

}  // namespace mp::product_db
