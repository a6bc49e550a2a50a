#include "buyer_frontend/purchase_services.h"

#include <utility>

#include "rpc/customer_db_client.h"
#include "rpc/product_db_client.h"

namespace mp::buyer_frontend {

Task<StatusOr<v1::PurchaseAttempt>> RpcPurchaseLedger::BeginPurchase(
    v1::BeginPurchaseRequest request) const {
  co_return co_await customers_.AsyncBeginPurchase(std::move(request));
}

Task<StatusOr<v1::RecordPurchaseResponse>> RpcPurchaseLedger::RecordPurchase(
    v1::RecordPurchaseRequest request) const {
  co_return co_await customers_.AsyncRecordPurchase(std::move(request));
}

Task<StatusOr<v1::PurchaseAttempt>> RpcPurchaseLedger::FailPurchase(
    v1::FailPurchaseRequest request) const {
  co_return co_await customers_.AsyncFailPurchase(std::move(request));
}

StatusOr<v1::PurchaseAttemptList> RpcPurchaseLedger::ListPendingPurchases(
    const v1::ListPendingPurchasesRequest& request) const {
  return customers_.ListPendingPurchases(request);
}

Task<StatusOr<v1::TakeStockResponse>> RpcPurchaseStock::TakeStock(
    v1::TakeStockRequest request) const {
  co_return co_await products_.AsyncTakeStock(std::move(request));
}

Task<StatusOr<v1::Empty>> RpcPurchaseStock::ReleaseStock(v1::StockRef ref) const {
  co_return co_await products_.AsyncReleaseStock(std::move(ref));
}

Task<StatusOr<v1::Empty>> RpcPurchaseStock::CommitStock(v1::StockRef ref) const {
  co_return co_await products_.AsyncCommitStock(std::move(ref));
}

Task<StatusOr<v1::ItemList>> RpcPurchaseStock::GetItems(v1::GetItemsRequest request) const {
  co_return co_await products_.AsyncGetItems(std::move(request));
}

StatusOr<rpc::ChargeDecision> SoapPurchasePayment::Charge(const rpc::ChargeRequest& request) const {
  const size_t first = next_.fetch_add(1, std::memory_order_relaxed);
  StatusOr<rpc::ChargeDecision> decision = Unavailable("no payment service");
  for (size_t i = 0; i < replicas_.size(); ++i) {
    decision = replicas_[(first + i) % replicas_.size()]->Charge(request);
    if (decision.ok() || decision.status().code() != StatusCode::kUnavailable) break;
  }
  return decision;
}

}  // namespace mp::buyer_frontend
