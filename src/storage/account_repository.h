#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "storage/customer_records.h"
#include "storage/database.h"

namespace mp::storage {

// Accounts of the customer database, over either engine. Each method is one
// transaction (or one read). Arguments are assumed valid (the service checks
// them against docs/contract.md §2); what needs the database to decide is
// decided here. Thread-safe.
class AccountRepository {
 public:
  struct Credentials {
    UserId user_id;
    std::string password_hash;
  };

  explicit AccountRepository(Database& db) : db_(db) {}

  // kAlreadyExists/"username_taken" when the username is in use for `role`.
  StatusOr<UserId> CreateAccount(Role role, const std::string& username,
                                 const std::string& password_hash, const std::string& name);
  // kNotFound when there is no such account.
  StatusOr<Credentials> GetCredentials(Role role, const std::string& username);
  StatusOr<Account> GetAccount(Role role, UserId user_id);

 private:
  Database& db_;
};

}  // namespace mp::storage
