#pragma once

#include <vector>

#include "storage/migration.h"

namespace mp::storage {

// Schemas of deploy/sql/, embedded at build time (cmake/MpHelpers.cmake).
const std::vector<Migration>& SqliteCustomerMigrations();
const std::vector<Migration>& PostgresCustomerMigrations();
const std::vector<Migration>& SqliteProductMigrations();
const std::vector<Migration>& PostgresProductMigrations();
const std::vector<Migration>& SqlitePaymentMigrations();
const std::vector<Migration>& PostgresPaymentMigrations();

}  // namespace mp::storage
