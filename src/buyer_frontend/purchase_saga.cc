#include "buyer_frontend/purchase_saga.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/status_mapping.h"
#include "common/types.h"

namespace mp::buyer_frontend {

namespace {

// The Status a buyer sees for a failed attempt, again on every retry.
Status FailureStatus(const v1::PurchaseAttempt& a) {
  return FromStoredReason(a.failure_reason(), a.failure_message());
}

// A refusal that will not change on a retry of the same step.
bool IsFinal(const Status& s) {
  return s.code() == StatusCode::kAborted || s.code() == StatusCode::kNotFound ||
         s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kFailedPrecondition;
}

// The lines of an answer in one order, by item number, whichever step they
// come from: TakeStock's lines for the first answer, the recorded lines
// (which the customer DB orders as text: "1-10" before "1-9") for a repeat.
// Otherwise a retry with the same key would not get the first answer.
template <typename Line>
std::vector<Line> ByItem(const google::protobuf::RepeatedPtrField<Line>& lines) {
  auto key = [](const Line& line) {
    auto id = ItemId::Parse(line.item_id());
    return std::pair(id.ok() ? id->number : INT64_MAX, line.item_id());
  };
  std::vector<Line> sorted(lines.begin(), lines.end());
  std::sort(sorted.begin(), sorted.end(),
            [&](const Line& a, const Line& b) { return key(a) < key(b); });
  return sorted;
}

v1::TakeStockRequest TakeRequest(const v1::PurchaseAttempt& attempt) {
  v1::TakeStockRequest take;
  take.set_purchase_id(attempt.purchase_id());
  for (const v1::CartLine& line : attempt.lines()) {
    v1::StockLine* l = take.add_lines();
    l->set_item_id(line.item_id());
    l->set_quantity(line.quantity());
  }
  return take;
}

}  // namespace

PurchaseSaga::PurchaseSaga(const PurchaseLedger& ledger, const PurchaseStock& stock,
                           const PurchasePayment& payment, const Clock& clock,
                           const PurchaseSagaOptions& options)
    : ledger_(ledger),
      stock_(stock),
      payment_(payment),
      clock_(clock),
      options_(options),
      pool_(std::max(1, options.threads)) {
  if (options_.recovery_period.count() > 0) {
    recovery_ = std::thread([this] {
      std::unique_lock lock(mu_);
      do {
        lock.unlock();
        auto settled = RecoverOnce();
        if (!settled.ok()) {
          log::Warn("purchase recovery: {}", settled.status().ToString());
        } else if (*settled > 0) {
          log::Info("purchase recovery settled {} attempts", *settled);
        }
        lock.lock();
      } while (!cv_.wait_for(lock, options_.recovery_period, [this] { return stop_; }));
    });
  }
}

PurchaseSaga::~PurchaseSaga() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (recovery_.joinable()) recovery_.join();
  // Sagas in flight end within their steps' deadlines.
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return running_ == 0; });
  }
  pool_.join();
}

// Counts a saga step or call in flight for the destructor, which waits for
// them: they use the services and this object until they end.
class PurchaseSaga::Running {
 public:
  explicit Running(PurchaseSaga& saga) : saga_(saga) {
    std::lock_guard lock(saga_.mu_);
    ++saga_.running_;
  }
  ~Running() {
    std::lock_guard lock(saga_.mu_);
    if (--saga_.running_ == 0) saga_.cv_.notify_all();
  }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

 private:
  PurchaseSaga& saga_;
};

Task<StatusOr<PurchaseReceipt>> PurchaseSaga::Purchase(v1::SessionRequest session,
                                                       std::string purchase_id, Card card) {
  Running running(*this);
  co_return co_await Run(session, purchase_id, card);
}

Task<StatusOr<PurchaseReceipt>> PurchaseSaga::Run(const v1::SessionRequest& session,
                                                  const std::string& purchase_id,
                                                  const Card& card) {
  v1::BeginPurchaseRequest begin;
  *begin.mutable_session() = session;
  begin.set_purchase_id(purchase_id);
  MP_CO_ASSIGN_OR_RETURN(v1::PurchaseAttempt attempt,
                         co_await ledger_.BeginPurchase(std::move(begin)));
  if (attempt.state() != v1::PURCHASE_PENDING) co_return co_await Answer(attempt);
  options_.crash.Reached("after_begin");

  StatusOr<v1::TakeStockResponse> taken = co_await stock_.TakeStock(TakeRequest(attempt));
  if (!taken.ok()) {
    // Unknown outcome: the attempt stays pending and recovery settles it.
    if (!IsFinal(taken.status())) co_return Unavailable("the purchase could not finish; retry");
    // Refused because this purchase's stock was given back: an undo (an
    // earlier try's, or recovery's) got that far and no further. An undo
    // begins by fixing the charge as declined, so finish it for the reason
    // it began, which the payment service still knows.
    if (taken.status().code() == StatusCode::kFailedPrecondition) {
      MP_CO_ASSIGN_OR_RETURN(rpc::ChargeDecision decision, co_await Probe(attempt));
      if (decision.approved) {
        log::Error("purchase {}: stock given back although the charge was approved", purchase_id);
        co_return Internal("purchase " + purchase_id + " is inconsistent");
      }
      co_return co_await Undo(attempt, UndoReason(decision), /*declined=*/true);
    }
    co_return co_await Undo(attempt, taken.status(), /*declined=*/false);
  }
  options_.crash.Reached("after_take");
  int64_t total = 0;
  for (const v1::TakenLine& line : taken->lines()) {
    if (Status s = AddToOrderTotal(total, line.price_cents(), line.quantity()); !s.ok()) {
      co_return co_await Undo(attempt, s, /*declined=*/false);
    }
  }

  rpc::ChargeRequest charge{purchase_id,     card.holder_name,   card.number,
                            card.expiration, card.security_code, total};
  StatusOr<rpc::ChargeDecision> decision = co_await Charge(std::move(charge));
  if (!decision.ok()) {
    if (decision.status().code() != StatusCode::kInvalidArgument) {
      co_return Unavailable("the payment service did not answer; retry");
    }
    co_return co_await Undo(attempt, decision.status(), /*declined=*/false);
  }
  if (!decision->approved) {
    Status declined = PaymentDeclined("the card was declined: " + decision->reason);
    co_return co_await Undo(attempt, declined, /*declined=*/true);
  }
  options_.crash.Reached("after_charge");
  co_return co_await Complete(attempt, *std::move(taken));
}

Task<StatusOr<rpc::ChargeDecision>> PurchaseSaga::Charge(rpc::ChargeRequest request) {
  // gSOAP blocks its thread for the whole call: it runs on the payment
  // threads, and the saga goes on there once it has the answer.
  auto start = [this, &request](std::function<void(StatusOr<rpc::ChargeDecision>)> done) {
    boost::asio::post(pool_,
                      [this, &request, done = std::move(done)] { done(ChargeOnce(request)); });
  };
  co_return co_await Await<StatusOr<rpc::ChargeDecision>>(start);
}

StatusOr<rpc::ChargeDecision> PurchaseSaga::ChargeOnce(const rpc::ChargeRequest& request) {
  StatusOr<rpc::ChargeDecision> decision = Unavailable("payment service not called");
  // The payment service answers a transaction id once, so asking again after
  // a lost answer cannot charge twice.
  // No wait after the last try: the buyer then hears 503 at once.
  const int tries = std::max(1, options_.charge_attempts);
  for (int i = 0; i < tries; ++i) {
    if (i > 0) options_.sleep(std::chrono::milliseconds(100 << (i - 1)));
    decision = payment_.Charge(request);
    if (decision.ok() || decision.status().code() == StatusCode::kInvalidArgument) break;
  }
  return decision;
}

Task<StatusOr<PurchaseReceipt>> PurchaseSaga::Complete(const v1::PurchaseAttempt& attempt,
                                                       const v1::TakeStockResponse& taken) {
  v1::RecordPurchaseRequest record;
  record.set_purchase_id(attempt.purchase_id());
  record.set_buyer_id(attempt.buyer_id());
  record.set_clear_session_id(attempt.session_id());
  PurchaseReceipt receipt;
  receipt.purchase_id = attempt.purchase_id();
  for (const v1::TakenLine& t : ByItem(taken.lines())) {
    v1::PurchaseLine* line = record.add_lines();
    line->set_item_id(t.item_id());
    line->set_seller_id(t.seller_id());
    line->set_quantity(t.quantity());
    line->set_price_cents(t.price_cents());
    // Checked by TakeStock.
    (void)AddToOrderTotal(receipt.total_cents, t.price_cents(), t.quantity());
    receipt.lines.push_back({t.item_id(), t.name(), t.price_cents(), t.quantity()});
  }
  // The charge is approved: from here on the purchase only moves forward.
  if (auto recorded = co_await ledger_.RecordPurchase(std::move(record)); !recorded.ok()) {
    if (recorded.status().reason() == kPurchaseNotPending) {
      // An approved charge whose attempt was undone: the ledger audit
      // reports it; no retry can mend it.
      log::Error("purchase {}: approved charge, attempt no longer pending", attempt.purchase_id());
      co_return Internal("purchase " + attempt.purchase_id() + " is inconsistent");
    }
    co_return Unavailable("the purchase is paid and will be recorded shortly");
  }
  options_.crash.Reached("after_record");
  // Bookkeeping only (nothing releases a completed take), so the buyer does
  // not wait for it: it runs beside the answer. One that fails leaves the
  // take held, which changes no count (docs/purchases.md); it is logged and
  // counted, not retried.
  v1::StockRef ref;
  ref.set_purchase_id(attempt.purchase_id());
  auto committed = [this, id = attempt.purchase_id(),
                    running = std::make_shared<Running>(*this)](StatusOr<v1::Empty> done) {
    if (done.ok()) return;
    stock_commit_failures_.fetch_add(1, std::memory_order_relaxed);
    log::Warn("purchase {}: CommitStock failed ({}); its take stays held", id,
              done.status().ToString());
  };
  Start(stock_.CommitStock(std::move(ref)), std::move(committed));
  co_return receipt;
}

Task<StatusOr<PurchaseReceipt>> PurchaseSaga::Undo(const v1::PurchaseAttempt& attempt,
                                                   const Status& why, bool declined) {
  if (!declined) {
    // Another request for the same purchase id may be past its charge: fix
    // the payment's outcome first. Approved, the purchase moves forward
    // (TakeStock answers the lines taken for it); declined, nothing can
    // charge it any more, so giving its stock back is safe.
    StatusOr<rpc::ChargeDecision> decision = co_await Probe(attempt);
    if (!decision.ok()) co_return Unavailable("the purchase could not finish; retry");
    if (decision->approved) {
      auto taken = co_await stock_.TakeStock(TakeRequest(attempt));
      if (!taken.ok()) co_return Unavailable("the purchase is paid and will be recorded shortly");
      co_return co_await Complete(attempt, *taken);
    }
  }
  v1::StockRef ref;
  ref.set_purchase_id(attempt.purchase_id());
  if (!(co_await stock_.ReleaseStock(std::move(ref))).ok()) {
    co_return Unavailable("the purchase could not finish; retry");
  }
  options_.crash.Reached("after_release");
  v1::FailPurchaseRequest fail;
  fail.set_purchase_id(attempt.purchase_id());
  fail.set_reason(why.reason());
  fail.set_message(why.message());
  MP_CO_ASSIGN_OR_RETURN(v1::PurchaseAttempt failed,
                         co_await ledger_.FailPurchase(std::move(fail)));
  co_return co_await Answer(failed);
}

Task<StatusOr<PurchaseReceipt>> PurchaseSaga::Answer(const v1::PurchaseAttempt& attempt) {
  if (attempt.state() == v1::PURCHASE_FAILED) co_return FailureStatus(attempt);
  if (attempt.state() != v1::PURCHASE_COMPLETED) {
    co_return Unavailable("the purchase is still being processed; retry");
  }
  // A repeat of a completed purchase: the same answer as the first time.
  v1::GetItemsRequest get;
  for (const v1::PurchaseLine& line : attempt.recorded()) get.add_item_ids(line.item_id());
  std::map<std::string, std::string> names;
  if (auto items = co_await stock_.GetItems(std::move(get)); items.ok()) {
    for (const v1::Item& item : items->items()) names[item.id()] = item.name();
  }
  PurchaseReceipt receipt;
  receipt.purchase_id = attempt.purchase_id();
  receipt.total_cents = attempt.total_cents();
  for (const v1::PurchaseLine& line : ByItem(attempt.recorded())) {
    receipt.lines.push_back(
        {line.item_id(), names[line.item_id()], line.price_cents(), line.quantity()});
  }
  co_return receipt;
}

Task<StatusOr<rpc::ChargeDecision>> PurchaseSaga::Probe(const v1::PurchaseAttempt& attempt) {
  // Asking the payment service with a card that cannot pass fixes the
  // outcome: a charge that reached it is answered as it was; one that never
  // did is now declined for good, so it can never happen later.
  int64_t amount = std::max<int64_t>(1, attempt.total_cents());
  rpc::ChargeRequest probe{attempt.purchase_id(), "recovery", "0", "01/00", "", amount};
  co_return co_await Charge(std::move(probe));
}

Status PurchaseSaga::UndoReason(const rpc::ChargeDecision& decision) {
  // The approval draw's "declined" is the buyer's card; any other refusal
  // may be the probe's own card, so nothing more than an interruption can
  // be said.
  return decision.reason == "declined"
             ? PaymentDeclined("the card was declined")
             : Status(StatusCode::kFailedPrecondition,
                      "the purchase was interrupted and undone; nothing was charged",
                      kPurchaseInterrupted);
}

Task<StatusOr<bool>> PurchaseSaga::Settle(v1::PurchaseAttempt attempt) {
  Running running(*this);
  MP_CO_ASSIGN_OR_RETURN(rpc::ChargeDecision decision, co_await Probe(attempt));
  if (!decision.approved) {
    StatusOr<PurchaseReceipt> undone =
        co_await Undo(attempt, UndoReason(decision), /*declined=*/true);
    // Settled once the attempt has failed, which answers its own final
    // error; any other error (no answer, a deadline) leaves it pending.
    if (!undone.ok() && !IsFinal(undone.status())) {
      co_return Unavailable("undo of " + attempt.purchase_id() +
                            " failed: " + undone.status().message());
    }
    co_return true;
  }
  MP_CO_ASSIGN_OR_RETURN(v1::TakeStockResponse taken,
                         co_await stock_.TakeStock(TakeRequest(attempt)));
  MP_CO_RETURN_IF_ERROR((co_await Complete(attempt, taken)).status());
  co_return true;
}

StatusOr<int> PurchaseSaga::RecoverOnce() {
  v1::ListPendingPurchasesRequest list;
  list.set_started_before_ms(clock_.NowMs() - options_.recovery_age.count());
  list.set_limit(kRecoveryPage);
  int settled = 0;
  // Pages through every pending attempt in (created_ms, purchase_id) order:
  // one that fails to settle is counted and passed, so it never keeps the
  // ones after it waiting.
  while (true) {
    MP_ASSIGN_OR_RETURN(v1::PurchaseAttemptList pending, ledger_.ListPendingPurchases(list));
    for (const v1::PurchaseAttempt& attempt : pending.attempts()) {
      Status s = SyncWait(Settle(attempt)).status();
      if (s.ok()) {
        ++settled;
        recovered_.fetch_add(1, std::memory_order_relaxed);
      } else {
        recovery_failures_.fetch_add(1, std::memory_order_relaxed);
        log::Warn("recovery of purchase {}: {}", attempt.purchase_id(), s.ToString());
      }
    }
    if (pending.attempts_size() < kRecoveryPage) break;
    const v1::PurchaseAttempt& last = pending.attempts(pending.attempts_size() - 1);
    list.set_after_created_ms(last.created_ms());
    list.set_after_purchase_id(last.purchase_id());
    std::lock_guard lock(mu_);
    if (stop_) break;
  }
  return settled;
}

}  // namespace mp::buyer_frontend
