#include "storage/customer_schema.h"

#include "storage/migrations.h"

namespace mp::storage {

Status MigrateCustomerDatabase(Database& db) {
  return db.Migrate("customer_schema_version", db.engine() == Engine::kSqlite
                                                   ? SqliteCustomerMigrations()
                                                   : PostgresCustomerMigrations());
}

}  // namespace mp::storage
