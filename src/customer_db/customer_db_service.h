#pragma once

#include "common/password.h"
#include "customer_db.grpc.pb.h"
#include "rpc/server.h"
#include "storage/customer_repository.h"

namespace mp::customer_db {

// Throttling of failed logins (SPEC §3); see CustomerDbOptions.
struct LoginThrottle {
  int per_user = 5;
  int per_address = 50;
  int64_t window_ms = 60'000;
};

// The CustomerDb gRPC service: checks every argument against SPEC §2
// (INVALID_ARGUMENT naming the field), then runs one repository
// transaction. Handlers run on `pool`. Thread-safe; the references must
// outlive the service.
class CustomerDbService final : public v1::CustomerDb::CallbackService {
 public:
  CustomerDbService(storage::CustomerRepository& repo, PasswordHasher& hasher,
                    rpc::HandlerPool& pool, LoginThrottle throttle = LoginThrottle());

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
  // kResourceExhausted/"too_many_requests" when the username or address has
  // used up its budget of failures.
  Status CheckLoginBudget(const v1::LoginRequest& req);
  // Counts a failed login against the username and the address.
  void RecordLoginFailure(const v1::LoginRequest& req);

  storage::CustomerRepository& repo_;
  PasswordHasher& hasher_;
  rpc::HandlerPool& pool_;
  const LoginThrottle throttle_;
  // Checked against when the username is unknown, so that a failed login
  // takes as long whether or not the account exists.
  std::string dummy_hash_;
};

}  // namespace mp::customer_db
