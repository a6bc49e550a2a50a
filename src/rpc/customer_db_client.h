#pragma once

#include <memory>
#include <vector>

#include "customer_db.grpc.pb.h"
#include "rpc/channel_pool.h"
#include "rpc/client_call.h"

namespace mp::rpc {

// The ValidateSessions RPC as a batch for rpc::Batcher (the frontends'
// session checks travel this way, http/auth.h).
struct SessionBatch {
  using Request = v1::ValidateSessionsRequest;
  using Response = v1::ValidateSessionsResponse;
  using Item = v1::SessionRequest;
  using Result = v1::SessionCheck;
  static Item* Add(Request& request) { return request.add_sessions(); }
  static int Count(const Response& response) { return response.checks_size(); }
  static Result* Mutable(Response& response, int i) { return response.mutable_checks(i); }
};

// Typed client of the CustomerDb service (proto/customer_db.proto documents
// each call and its errors). Every call has the options' deadline; transport
// failures come back as kUnavailable or kDeadlineExceeded. Thread-safe.
class CustomerDbClient {
 public:
  explicit CustomerDbClient(const ClientOptions& options);

  MP_DECLARE_RPC(CreateAccount, v1::CreateAccountRequest, v1::CreateAccountResponse)
  MP_DECLARE_RPC(Login, v1::LoginRequest, v1::LoginResponse)
  MP_DECLARE_RPC(Logout, v1::SessionRequest, v1::Empty)
  MP_DECLARE_RPC(ValidateSession, v1::SessionRequest, v1::SessionInfo)
  MP_DECLARE_RPC(ValidateSessions, v1::ValidateSessionsRequest, v1::ValidateSessionsResponse)
  MP_DECLARE_RPC(GetAccount, v1::GetAccountRequest, v1::Account)
  MP_DECLARE_RPC(GetCart, v1::SessionRequest, v1::Cart)
  MP_DECLARE_RPC(AddToCart, v1::AddToCartRequest, v1::Cart)
  MP_DECLARE_RPC(RemoveFromCart, v1::RemoveFromCartRequest, v1::Cart)
  MP_DECLARE_RPC(ClearCart, v1::SessionRequest, v1::Cart)
  MP_DECLARE_RPC(SaveCart, v1::SessionRequest, v1::Empty)
  MP_DECLARE_RPC(BeginPurchase, v1::BeginPurchaseRequest, v1::PurchaseAttempt)
  MP_DECLARE_RPC(FailPurchase, v1::FailPurchaseRequest, v1::PurchaseAttempt)
  MP_DECLARE_RPC(ListPendingPurchases, v1::ListPendingPurchasesRequest, v1::PurchaseAttemptList)
  MP_DECLARE_RPC(RecordPurchase, v1::RecordPurchaseRequest, v1::RecordPurchaseResponse)
  MP_DECLARE_RPC(ListPurchases, v1::ListPurchasesRequest, v1::PurchaseList)
  MP_DECLARE_RPC(GetPurchasedQuantity, v1::GetPurchasedQuantityRequest,
                 v1::GetPurchasedQuantityResponse)

 private:
  ClientOptions options_;
  ChannelPool pool_;
  std::vector<std::unique_ptr<v1::CustomerDb::Stub>> stubs_;
};

}  // namespace mp::rpc
