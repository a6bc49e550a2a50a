#pragma once

#include "common/status.h"
#include "storage/database.h"

namespace mp::storage {

// Creates or upgrades the schema of the customer database: the tables of
// AccountRepository, SessionRepository, CartRepository, PurchaseRepository
// and LoginThrottleRepository.
Status MigrateCustomerDatabase(Database& db);

}  // namespace mp::storage
