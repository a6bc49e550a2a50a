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

StatusOr<int64_t> AccountRepository::CreateAccount(v1::Role role, const std::string& username,
                                                   const std::string& password_hash,
                                                   const std::string& name) {
  int64_t id = 0;
  MP_RETURN_IF_ERROR(db_.Write([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows,
                        conn.Query(kInsertAccount, {int64_t{role}, username, name, password_hash}));
    if (rows.empty()) {
      return Status(StatusCode::kAlreadyExists, "username '" + username + "' is taken",
                    "username_taken");
    }
    id = rows[0].Int(InsertAccountColumn::kId);
    return Status();
  }));
  return id;
}

StatusOr<AccountRepository::Credentials> AccountRepository::GetCredentials(
    v1::Role role, const std::string& username) {
  Credentials creds;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectCredentials, {int64_t{role}, username}));
    if (rows.empty()) return NotFound("no such account");
    creds.user_id = rows[0].Int(CredentialsColumn::kId);
    creds.password_hash = rows[0].Text(CredentialsColumn::kPasswordHash);
    return Status();
  }));
  return creds;
}

StatusOr<v1::Account> AccountRepository::GetAccount(v1::Role role, int64_t user_id) {
  v1::Account account;
  MP_RETURN_IF_ERROR(db_.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows rows, conn.Query(kSelectAccount, {int64_t{role}, user_id}));
    if (rows.empty()) return NotFound("no account " + std::to_string(user_id));
    account.set_role(role);
    account.set_user_id(user_id);
    account.set_username(rows[0].Text(AccountColumn::kUsername));
    account.set_name(rows[0].Text(AccountColumn::kName));
    account.set_units(rows[0].Int(AccountColumn::kUnits));
    return Status();
  }));
  return account;
}

}  // namespace mp::storage
