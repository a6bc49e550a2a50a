#include "rpc/customer_db_client.h"

namespace mp::rpc {

CustomerDbClient::CustomerDbClient(const ClientOptions& options)
    : options_(options), pool_(options) {
  for (size_t i = 0; i < pool_.size(); ++i)
    stubs_.push_back(v1::CustomerDb::NewStub(pool_.channel(i)));
}

MP_DEFINE_RPC(CustomerDbClient, CreateAccount, v1::CreateAccountRequest, v1::CreateAccountResponse)
MP_DEFINE_RPC(CustomerDbClient, Login, v1::LoginRequest, v1::LoginResponse)
MP_DEFINE_RPC(CustomerDbClient, Logout, v1::SessionRequest, v1::Empty)
MP_DEFINE_RPC(CustomerDbClient, ValidateSession, v1::SessionRequest, v1::SessionInfo)
MP_DEFINE_RPC(CustomerDbClient, ValidateSessions, v1::ValidateSessionsRequest,
              v1::ValidateSessionsResponse)
MP_DEFINE_RPC(CustomerDbClient, GetAccount, v1::GetAccountRequest, v1::Account)
MP_DEFINE_RPC(CustomerDbClient, GetCart, v1::SessionRequest, v1::Cart)
MP_DEFINE_RPC(CustomerDbClient, AddToCart, v1::AddToCartRequest, v1::Cart)
MP_DEFINE_RPC(CustomerDbClient, RemoveFromCart, v1::RemoveFromCartRequest, v1::Cart)
MP_DEFINE_RPC(CustomerDbClient, ClearCart, v1::SessionRequest, v1::Cart)
MP_DEFINE_RPC(CustomerDbClient, SaveCart, v1::SessionRequest, v1::Empty)
MP_DEFINE_RPC(CustomerDbClient, BeginPurchase, v1::BeginPurchaseRequest, v1::PurchaseAttempt)
MP_DEFINE_RPC(CustomerDbClient, FailPurchase, v1::FailPurchaseRequest, v1::PurchaseAttempt)
MP_DEFINE_RPC(CustomerDbClient, ListPendingPurchases, v1::ListPendingPurchasesRequest,
              v1::PurchaseAttemptList)
MP_DEFINE_RPC(CustomerDbClient, RecordPurchase, v1::RecordPurchaseRequest,
              v1::RecordPurchaseResponse)
MP_DEFINE_RPC(CustomerDbClient, ListPurchases, v1::ListPurchasesRequest, v1::PurchaseList)
MP_DEFINE_RPC(CustomerDbClient, GetPurchasedQuantity, v1::GetPurchasedQuantityRequest,
              v1::GetPurchasedQuantityResponse)

}  // namespace mp::rpc
