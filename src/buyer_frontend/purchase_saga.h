#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "buyer_frontend/purchase_services.h"
#include "common/clock.h"
#include "common/fault.h"
#include "common/task.h"
#include "customer_db.pb.h"

namespace mp::buyer_frontend {

struct PurchaseSagaOptions {
  // Threads making payment calls: gSOAP blocks one for each call (the
  // other steps are asynchronous RPCs and hold no thread).
  int threads = 8;
  // A pending attempt older than this is settled by recovery: longer than
  // any saga can run (each step has a deadline).
  std::chrono::milliseconds recovery_age{60'000};
  // How often recovery looks for such attempts (0: never, for tests that
  // call RecoverOnce themselves).
  std::chrono::milliseconds recovery_period{30'000};
  // Tries of a charge whose outcome is unknown (transport failure).
  int charge_attempts = 3;
  // Waits between those tries, on the payment thread; a test passes one
  // that only notes the wait.
  std::function<void(std::chrono::milliseconds)> sleep = [](std::chrono::milliseconds d) {
    std::this_thread::sleep_for(d);
  };
  // For tests only: the step after which the process dies, one of
  // "after_begin", "after_take", "after_charge", "after_record",
  // "after_release" (an undo's ReleaseStock).
  CrashPoint crash{};
};

// What a completed purchase bought, lines by item number: the 201 of
// POST /v1/purchases (buyer_routes.cc makes it JSON).
struct ReceiptLine {
  std::string item_id;
  std::string name;
  int64_t price_cents = 0;  // unit price paid
  int64_t quantity = 0;
};
struct PurchaseReceipt {
  std::string purchase_id;
  std::vector<ReceiptLine> lines;
  int64_t total_cents = 0;
};

struct Card {
  std::string holder_name;
  std::string number;
  std::string expiration;
  std::string security_code;
};

// MakePurchase as a saga over three services that fail independently
// (docs/purchases.md):
//   1. customer DB: BeginPurchase records a pending attempt with the cart
//   2. product DB:  TakeStock takes every line or none, keyed by the id
//   3. payment:     Charge once, with the purchase id as transaction id
//   4. customer DB: RecordPurchase records lines and counters, clears carts
//                   and completes the attempt; product DB: CommitStock
// A decline or a refusal gives the stock back and fails the attempt. Every
// step is idempotent on the purchase id, so a retry (same Idempotency-Key)
// and recovery can run any step again. The steps depend on each other (the
// charge needs the prices TakeStock fixed, the record needs the charge);
// CommitStock, which nothing waits for, runs beside the answer.
// Thread-safe.
class PurchaseSaga {
 public:
  // The services and `clock` (recovery's "now") must outlive the saga.
  PurchaseSaga(const PurchaseLedger& ledger, const PurchaseStock& stock,
               const PurchasePayment& payment, const Clock& clock,
               const PurchaseSagaOptions& options);
  ~PurchaseSaga();  // stops recovery, waits for running sagas

  // Runs the saga: the receipt, or the error (400 cart_empty, 402
  // payment_declined, 409 insufficient_quantity, 503 when the outcome is not
  // known yet). Its steps resume on the threads their answers arrive on: the
  // services', or a payment thread.
  Task<StatusOr<PurchaseReceipt>> Purchase(v1::SessionRequest session, std::string purchase_id,
                                           Card card);

  // One recovery pass over every attempt pending longer than the recovery
  // age (on `clock`): finishes those whose charge was approved, undoes the
  // others. Returns how many attempts it settled.
  StatusOr<int> RecoverOnce();

  // Attempts recovery settled, and tries of it that failed (an attempt that
  // keeps failing adds one per pass), since start: for /metrics.
  uint64_t recovered() const { return recovered_.load(std::memory_order_relaxed); }
  uint64_t recovery_failures() const { return recovery_failures_.load(std::memory_order_relaxed); }
  // CommitStock calls that failed (bookkeeping left undone; see Complete).
  uint64_t stock_commit_failures() const {
    return stock_commit_failures_.load(std::memory_order_relaxed);
  }

 private:
  class Running;

  // The steps take references to what their caller keeps until they end.
  Task<StatusOr<PurchaseReceipt>> Run(const v1::SessionRequest& session,
                                      const std::string& purchase_id, const Card& card);
  Task<StatusOr<PurchaseReceipt>> Complete(const v1::PurchaseAttempt& attempt,
                                           const v1::TakeStockResponse& taken);
  // Gives the stock back and fails the attempt with `why`. `declined`: the
  // payment service already holds a decline for this purchase id; else the
  // outcome is fixed first (Probe), and an approval completes instead.
  Task<StatusOr<PurchaseReceipt>> Undo(const v1::PurchaseAttempt& attempt, const Status& why,
                                       bool declined);
  // ChargeOnce on a payment thread.
  Task<StatusOr<rpc::ChargeDecision>> Charge(rpc::ChargeRequest request);
  // The charge, retried while its outcome is unknown (blocking).
  StatusOr<rpc::ChargeDecision> ChargeOnce(const rpc::ChargeRequest& request);
  Task<StatusOr<PurchaseReceipt>> Answer(const v1::PurchaseAttempt& attempt);
  // The payment service's decision on `attempt`, asked with a card that
  // cannot pass (a charge never made is declined for good).
  Task<StatusOr<rpc::ChargeDecision>> Probe(const v1::PurchaseAttempt& attempt);
  // Why an attempt whose charge `decision` was not approved is undone.
  static Status UndoReason(const rpc::ChargeDecision& decision);
  // Completes or undoes one attempt found by recovery.
  Task<StatusOr<bool>> Settle(v1::PurchaseAttempt attempt);

  const PurchaseLedger& ledger_;
  const PurchaseStock& stock_;
  const PurchasePayment& payment_;
  const Clock& clock_;
  const PurchaseSagaOptions options_;
  boost::asio::thread_pool pool_;

  static constexpr int kRecoveryPage = 50;
  std::atomic<uint64_t> recovered_{0};
  std::atomic<uint64_t> recovery_failures_{0};
  std::atomic<uint64_t> stock_commit_failures_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  int running_ = 0;  // sagas, recovery settlements and commits in flight
  std::thread recovery_;
};

}  // namespace mp::buyer_frontend
