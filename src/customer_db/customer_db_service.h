#pragma once

#include "common/password.h"
#include "customer_db.grpc.pb.h"
#include "rpc/queued_service.h"
#include "storage/account_repository.h"
#include "storage/cart_repository.h"
#include "storage/login_throttle_repository.h"
#include "storage/purchase_repository.h"
#include "storage/session_repository.h"

namespace mp::customer_db {

// Throttling of failed logins (docs/contract.md §3); see CustomerDbOptions. Failures
// count against two keys, each with its budget: the username (with role) at
// the client's address, and the address. So a guesser can spend only the
// budgets of the addresses it guesses from, and the owner logging in from
// any other address is let in whatever others tried. A caller that gives no
// client_address (a direct gRPC caller; the frontends always give the
// client's) counts as the address "": such callers share one budget.
struct LoginThrottle {
  int per_user = 5;
  int per_address = 50;
  int64_t window_ms = 60'000;
};

// The CustomerDb gRPC service: checks every argument against docs/contract.md §2
// (INVALID_ARGUMENT naming the field), then runs one repository
// transaction. Handlers run on `pool` (rpc/queued_service.h), but for
// CreateAccount and Login, which hash a password for tens of milliseconds
// and so run on a pool of the service's own whatever `pool` is.
// Thread-safe; the references must outlive the service.
class CustomerDbService final : public rpc::UnaryService<v1::CustomerDb> {
 public:
  CustomerDbService(storage::AccountRepository& accounts, storage::SessionRepository& sessions,
                    storage::CartRepository& carts, storage::PurchaseRepository& purchases,
                    storage::LoginThrottleRepository& logins, PasswordHasher& hasher,
                    rpc::HandlerPool& pool, LoginThrottle throttle = LoginThrottle());

 private:
  Status CreateAccount(const v1::CreateAccountRequest* req, v1::CreateAccountResponse* resp);
  Status Login(const v1::LoginRequest* req, v1::LoginResponse* resp);
  Status Logout(const v1::SessionRequest* req, v1::Empty* resp);
  Status ValidateSessions(const v1::ValidateSessionsRequest* req,
                          v1::ValidateSessionsResponse* resp);
  Status ValidateSession(const v1::SessionRequest* req, v1::SessionInfo* resp);
  Status GetAccount(const v1::GetAccountRequest* req, v1::Account* resp);
  Status GetCart(const v1::SessionRequest* req, v1::Cart* resp);
  Status AddToCart(const v1::AddToCartRequest* req, v1::Cart* resp);
  Status RemoveFromCart(const v1::RemoveFromCartRequest* req, v1::Cart* resp);
  Status ClearCart(const v1::SessionRequest* req, v1::Cart* resp);
  Status SaveCart(const v1::SessionRequest* req, v1::Empty* resp);
  Status RecordPurchase(const v1::RecordPurchaseRequest* req, v1::RecordPurchaseResponse* resp);
  Status BeginPurchase(const v1::BeginPurchaseRequest* req, v1::PurchaseAttempt* resp);
  Status FailPurchase(const v1::FailPurchaseRequest* req, v1::PurchaseAttempt* resp);
  Status ListPendingPurchases(const v1::ListPendingPurchasesRequest* req,
                              v1::PurchaseAttemptList* resp);
  Status ListPurchases(const v1::ListPurchasesRequest* req, v1::PurchaseList* resp);
  Status GetPurchasedQuantity(const v1::GetPurchasedQuantityRequest* req,
                              v1::GetPurchasedQuantityResponse* resp);

  // The throttle keys of a login attempt and their budgets.
  std::vector<storage::LoginThrottleRepository::LoginBudget> LoginBudgets(
      const v1::LoginRequest& req) const;
  // kResourceExhausted/"too_many_requests", to be tried again in `wait_ms`
  // (rounded up to whole seconds, at least 1).
  Status TooManyLogins(int64_t wait_ms) const;

  storage::AccountRepository& accounts_;
  storage::SessionRepository& sessions_;
  storage::CartRepository& carts_;
  storage::PurchaseRepository& purchases_;
  storage::LoginThrottleRepository& logins_;
  PasswordHasher& hasher_;
  rpc::HandlerPool& pool_;
  rpc::HandlerPool hash_pool_;
  const LoginThrottle throttle_;
  // Checked against when the username is unknown, so that a failed login
  // takes as long whether or not the account exists.
  std::string dummy_hash_;
};

}  // namespace mp::customer_db
