#include "storage/account_repository.h"

namespace mp::storage {
namespace {

const Sql kInsertAccount{
    "INSERT INTO accounts (role, username, name, password_hash) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (role, username) DO NOTHING RETURNING id"};
struct InsertAccountColumn {
  enum : size_t { kId };
};
const Sql kSelectCredentials{
    "SELECT id, password_hash FROM accounts WHERE role = $1 AND username = $2"};
struct CredentialsColumn {
  enum : size_t { kId, kPasswordHash };
};
const Sql kSelectAccount{"SELECT username, name, units FROM accounts WHERE role = $1 AND id = $2"};
struct AccountColumn {
  enum : size_t { kUsername, kName, kUnits };
};

}  // namespace

StatusOr<UserId> AccountRepository::CreateAccount(Role role, const std::string& username,
                                                  const std::string& password_hash,
                                                  const std::string& name) {
  int64_t id = 0;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kInsertAccount, {static_cast<int64_t>(role), username,
                                                               name, password_hash}));
    if (rows.empty()) {
      return Status(StatusCode::kAlreadyExists, "username '" + username + "' is taken",
                    kUsernameTaken);
    }
    id = rows[0].Int(InsertAccountColumn::kId);
    return Status();
  }));
  return UserId(id);
}

StatusOr<AccountRepository::Credentials> AccountRepository::GetCredentials(
    Role role, const std::string& username) {
  Credentials creds;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows,
                        conn.Query(kSelectCredentials, {static_cast<int64_t>(role), username}));
    if (rows.empty()) return NotFound("no such account");
    creds.user_id = UserId(rows[0].Int(CredentialsColumn::kId));
    creds.password_hash = rows[0].Text(CredentialsColumn::kPasswordHash);
    return Status();
  }));
  return creds;
}

StatusOr<Account> AccountRepository::GetAccount(Role role, UserId user_id) {
  Account account;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows,
                        conn.Query(kSelectAccount, {static_cast<int64_t>(role), user_id.value}));
    if (rows.empty()) return NotFound("no account " + std::to_string(user_id.value));
    account = {.role = role,
               .user_id = user_id,
               .username = rows[0].Text(AccountColumn::kUsername),
               .name = rows[0].Text(AccountColumn::kName),
               .units = rows[0].Int(AccountColumn::kUnits)};
    return Status();
  }));
  return account;
}

}  // namespace mp::storage
