#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "customer_db.pb.h"
#include "storage/database.h"

namespace mp::storage {

// Accounts of the customer database, over either engine. Each method is one
// transaction (or one read). Arguments are assumed valid (the service checks
// them against docs/contract.md §2); what needs the database to decide is
// decided here. Thread-safe.
class AccountRepository {
 public:
  struct Credentials {
    int64_t user_id = 0;
    std::string password_hash;
  };

  explicit AccountRepository(Database& db) : db_(db) {}

  // kAlreadyExists/"username_taken" when the username is in use for `role`.
  StatusOr<int64_t> CreateAccount(v1::Role role, const std::string& username,
                                  const std::string& password_hash, const std::string& name);
  // kNotFound when there is no such account.
  StatusOr<Credentials> GetCredentials(v1::Role role, const std::string& username);
  StatusOr<v1::Account> GetAccount(v1::Role role, int64_t user_id);

 private:
  Database& db_;
};

}  // namespace mp::storage
