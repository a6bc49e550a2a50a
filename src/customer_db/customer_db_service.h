#pragma once

#include "common/password.h"
#include "customer_db.grpc.pb.h"
#include "rpc/server.h"
#include "storage/customer_repository.h"
#include "storage/login_throttle_repository.h"

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
// transaction. Handlers run on `pool`. Thread-safe; the references must
// outlive the service.
class CustomerDbService final : public v1::CustomerDb::CallbackService {
 public:
  CustomerDbService(storage::CustomerRepository& repo, storage::LoginThrottleRepository& logins,
                    PasswordHasher& hasher, rpc::HandlerPool& pool,
                    LoginThrottle throttle = LoginThrottle());

  grpc::ServerUnaryReactor* CreateAccount(grpc::CallbackServerContext* ctx,
                                          const v1::CreateAccountRequest* req,
                                          v1::CreateAccountResponse* resp) override;
  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* ctx, const v1::LoginRequest* req,
                                  v1::LoginResponse* resp) override;
  grpc::ServerUnaryReactor* Logout(grpc::CallbackServerContext* ctx, const v1::SessionRequest* req,
                                   v1::Empty* resp) override;
  grpc::ServerUnaryReactor* ValidateSessions(grpc::CallbackServerContext* ctx,
                                             const v1::ValidateSessionsRequest* req,
                                             v1::ValidateSessionsResponse* resp) override;
  grpc::ServerUnaryReactor* ValidateSession(grpc::CallbackServerContext* ctx,
                                            const v1::SessionRequest* req,
                                            v1::SessionInfo* resp) override;
  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* ctx,
                                       const v1::GetAccountRequest* req,
                                       v1::Account* resp) override;
  grpc::ServerUnaryReactor* GetCart(grpc::CallbackServerContext* ctx, const v1::SessionRequest* req,
                                    v1::Cart* resp) override;
  grpc::ServerUnaryReactor* AddToCart(grpc::CallbackServerContext* ctx,
                                      const v1::AddToCartRequest* req, v1::Cart* resp) override;
  grpc::ServerUnaryReactor* RemoveFromCart(grpc::CallbackServerContext* ctx,
                                           const v1::RemoveFromCartRequest* req,
                                           v1::Cart* resp) override;
  grpc::ServerUnaryReactor* ClearCart(grpc::CallbackServerContext* ctx,
                                      const v1::SessionRequest* req, v1::Cart* resp) override;
  grpc::ServerUnaryReactor* SaveCart(grpc::CallbackServerContext* ctx,
                                     const v1::SessionRequest* req, v1::Empty* resp) override;
  grpc::ServerUnaryReactor* RecordPurchase(grpc::CallbackServerContext* ctx,
                                           const v1::RecordPurchaseRequest* req,
                                           v1::RecordPurchaseResponse* resp) override;
  grpc::ServerUnaryReactor* BeginPurchase(grpc::CallbackServerContext* ctx,
                                          const v1::BeginPurchaseRequest* req,
                                          v1::PurchaseAttempt* resp) override;
  grpc::ServerUnaryReactor* FailPurchase(grpc::CallbackServerContext* ctx,
                                         const v1::FailPurchaseRequest* req,
                                         v1::PurchaseAttempt* resp) override;
  grpc::ServerUnaryReactor* ListPendingPurchases(grpc::CallbackServerContext* ctx,
                                                 const v1::ListPendingPurchasesRequest* req,
                                                 v1::PurchaseAttemptList* resp) override;
  grpc::ServerUnaryReactor* ListPurchases(grpc::CallbackServerContext* ctx,
                                          const v1::ListPurchasesRequest* req,
                                          v1::PurchaseList* resp) override;
  grpc::ServerUnaryReactor* GetPurchasedQuantity(grpc::CallbackServerContext* ctx,
                                                 const v1::GetPurchasedQuantityRequest* req,
                                                 v1::GetPurchasedQuantityResponse* resp) override;

 private:
  // The throttle keys of a login attempt and their budgets.
  std::vector<storage::LoginThrottleRepository::LoginBudget> LoginBudgets(
      const v1::LoginRequest& req) const;
  // kResourceExhausted/"too_many_requests", to be tried again in `wait_ms`
  // (rounded up to whole seconds, at least 1).
  Status TooManyLogins(int64_t wait_ms) const;

  storage::CustomerRepository& repo_;
  storage::LoginThrottleRepository& logins_;
  PasswordHasher& hasher_;
  rpc::HandlerPool& pool_;
  const LoginThrottle throttle_;
  // Checked against when the username is unknown, so that a failed login
  // takes as long whether or not the account exists.
  std::string dummy_hash_;
};

}  // namespace mp::customer_db
