#pragma once

#include <atomic>
#include <vector>

#include "common.pb.h"
#include "common/status.h"
#include "common/task.h"
#include "customer_db.pb.h"
#include "product_db.pb.h"
#include "rpc/payment_client.h"

namespace mp::rpc {
class CustomerDbClient;
class ProductDbClient;
}  // namespace mp::rpc

namespace mp::buyer_frontend {

// What the purchase saga needs of each of the three services it spans
// (docs/purchases.md, "The saga"), and no more, so that it runs over fakes
// in its unit test (purchase_saga_test.cc) as over the real clients. The
// messages are the services' own. Every step is idempotent on the purchase
// id; a transport failure is kUnavailable or kDeadlineExceeded, whose
// outcome is unknown. Implementations are thread-safe; an asynchronous step
// may end on any thread, and the saga goes on there.

// The customer DB's purchase ledger: attempts and the purchases they become.
class PurchaseLedger {
 public:
  virtual ~PurchaseLedger() = default;
  virtual Task<StatusOr<v1::PurchaseAttempt>> BeginPurchase(
      v1::BeginPurchaseRequest request) const = 0;
  virtual Task<StatusOr<v1::RecordPurchaseResponse>> RecordPurchase(
      v1::RecordPurchaseRequest request) const = 0;
  virtual Task<StatusOr<v1::PurchaseAttempt>> FailPurchase(
      v1::FailPurchaseRequest request) const = 0;
  // Blocking: recovery pages through them on its own thread.
  virtual StatusOr<v1::PurchaseAttemptList> ListPendingPurchases(
      const v1::ListPendingPurchasesRequest& request) const = 0;
};

// The product DB's stock takes, and the item names a repeated answer shows
// (the recorded lines do not keep them).
class PurchaseStock {
 public:
  virtual ~PurchaseStock() = default;
  virtual Task<StatusOr<v1::TakeStockResponse>> TakeStock(v1::TakeStockRequest request) const = 0;
  virtual Task<StatusOr<v1::Empty>> ReleaseStock(v1::StockRef ref) const = 0;
  virtual Task<StatusOr<v1::Empty>> CommitStock(v1::StockRef ref) const = 0;
  virtual Task<StatusOr<v1::ItemList>> GetItems(v1::GetItemsRequest request) const = 0;
};

// The payment service.
class PurchasePayment {
 public:
  virtual ~PurchasePayment() = default;
  // Blocks for the whole call, as gSOAP does: the saga makes it on its
  // payment threads. kInvalidArgument when the service refuses the
  // arguments; any other error leaves the outcome unknown.
  virtual StatusOr<rpc::ChargeDecision> Charge(const rpc::ChargeRequest& request) const = 0;
};

// The above over the real clients (gRPC to the DB services, SOAP to the
// payment service), which must outlive them.
class RpcPurchaseLedger final : public PurchaseLedger {
 public:
  explicit RpcPurchaseLedger(const rpc::CustomerDbClient& customers) : customers_(customers) {}
  Task<StatusOr<v1::PurchaseAttempt>> BeginPurchase(
      v1::BeginPurchaseRequest request) const override;
  Task<StatusOr<v1::RecordPurchaseResponse>> RecordPurchase(
      v1::RecordPurchaseRequest request) const override;
  Task<StatusOr<v1::PurchaseAttempt>> FailPurchase(v1::FailPurchaseRequest request) const override;
  StatusOr<v1::PurchaseAttemptList> ListPendingPurchases(
      const v1::ListPendingPurchasesRequest& request) const override;

 private:
  const rpc::CustomerDbClient& customers_;
};

class RpcPurchaseStock final : public PurchaseStock {
 public:
  explicit RpcPurchaseStock(const rpc::ProductDbClient& products) : products_(products) {}
  Task<StatusOr<v1::TakeStockResponse>> TakeStock(v1::TakeStockRequest request) const override;
  Task<StatusOr<v1::Empty>> ReleaseStock(v1::StockRef ref) const override;
  Task<StatusOr<v1::Empty>> CommitStock(v1::StockRef ref) const override;
  Task<StatusOr<v1::ItemList>> GetItems(v1::GetItemsRequest request) const override;

 private:
  const rpc::ProductDbClient& products_;
};

// The replicas of one payment service, which keep their decisions in one
// shared database: charges are spread over them, and one that finds its
// replica unreachable (kUnavailable) is asked of the next, which answers
// with the decision already stored for the transaction id, if any. So with
// replicas on separate SQLite files a retried charge could be decided
// twice: `marketplace up` runs one payment service on SQLite.
class SoapPurchasePayment final : public PurchasePayment {
 public:
  // REQUIRES: !replicas.empty(); the clients outlive this.
  explicit SoapPurchasePayment(std::vector<const rpc::PaymentClient*> replicas)
      : replicas_(std::move(replicas)) {}
  StatusOr<rpc::ChargeDecision> Charge(const rpc::ChargeRequest& request) const override;

 private:
  std::vector<const rpc::PaymentClient*> replicas_;
  mutable std::atomic<size_t> next_{0};
};

}  // namespace mp::buyer_frontend
