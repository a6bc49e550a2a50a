#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "common/status.h"
#include "storage/database.h"

namespace mp::storage::testing {

// A fresh, empty database for one test: a new SQLite file in a temporary
// directory, or a new schema on the PostgreSQL server named by the
// MP_TEST_PG_URI environment variable (the README's test command starts
// one). Removed again on destruction.
class TestDatabase {
 public:
  // kFailedPrecondition, saying how to start a server, when PostgreSQL is
  // asked for and MP_TEST_PG_URI is unset: such a test fails, never skips.
  static StatusOr<std::unique_ptr<TestDatabase>> Create(Engine engine, int max_connections = 8);
  ~TestDatabase();

  Database& db() { return *db_; }
  // A URI that opens this same database, e.g. for a service under test.
  const std::string& uri() const { return uri_; }

 private:
  TestDatabase() = default;

  Engine engine_ = Engine::kSqlite;
  std::string uri_;
  std::string dir_;     // SQLite: the temporary directory
  std::string schema_;  // PostgreSQL: the schema
  std::string admin_uri_;
  std::unique_ptr<Database> db_;
};

// "sqlite" or "postgres", for parameterized test names.
std::string EngineName(Engine engine);

}  // namespace mp::storage::testing

namespace mp::storage {
// GoogleTest prints parameters with this (found by ADL), so CTest names read
// "... # GetParam() = sqlite" rather than a byte dump.
inline void PrintTo(Engine engine, std::ostream* os) { *os << testing::EngineName(engine); }
}  // namespace mp::storage
