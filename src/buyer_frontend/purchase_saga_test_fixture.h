#pragma once
// The fakes and the fixture of the purchase saga's unit tests
// (purchase_saga_test.cc: the purchase path; purchase_recovery_test.cc:
// recovery). The fakes keep state as the real services do (attempts, stock
// takes, one stored decision per transaction id) and can be told to fail a
// step; the clock and the charge retry's sleep are fake, so nothing waits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "buyer_frontend/purchase_saga.h"
#include "common/clock.h"
#include "common/status_mapping.h"
#include "common/status_testing.h"
#include "common/types.h"

namespace mp::buyer_frontend::saga_testing {

using mp::testing::HasError;
using ::testing::ElementsAre;
using ::testing::Field;

constexpr char kGoodCard[] = "4111111111111111";
constexpr char kDeclinedCard[] = "4000000000000002";
constexpr int64_t kBuyer = 7;
constexpr int64_t kSeller = 3;

// The steps the fakes were asked for, in the order they were, each with the
// arguments that tell it apart: "Charge p1 4111111111111111 3000".
class Journal {
 public:
  void Add(std::string step) {
    std::lock_guard lock(mu_);
    steps_.push_back(std::move(step));
  }
  std::vector<std::string> steps() const {
    std::lock_guard lock(mu_);
    return steps_;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    steps_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> steps_;
};

// Failures a test arranges: the next calls of a step answer an error instead
// of running (one error per call, oldest first), or every call of a step for
// one purchase id does.
class Faults {
 public:
  void Next(const std::string& step, Status error) {
    std::lock_guard lock(mu_);
    next_[step].push_back(std::move(error));
  }
  void Always(const std::string& step, const std::string& purchase_id, Status error) {
    std::lock_guard lock(mu_);
    always_[{step, purchase_id}] = std::move(error);
  }
  void Heal() {
    std::lock_guard lock(mu_);
    next_.clear();
    always_.clear();
  }
  // The error this call of `step` answers, if any.
  std::optional<Status> Take(const std::string& step, const std::string& purchase_id) {
    std::lock_guard lock(mu_);
    if (auto it = always_.find({step, purchase_id}); it != always_.end()) return it->second;
    std::deque<Status>& queue = next_[step];
    if (queue.empty()) return std::nullopt;
    Status error = std::move(queue.front());
    queue.pop_front();
    return error;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::deque<Status>> next_;
  std::map<std::pair<std::string, std::string>, Status> always_;
};

// The customer DB's attempts, as its repository keeps them: BeginPurchase
// starts a pending attempt with the cart, or returns the one there;
// RecordPurchase completes a pending one (else purchase_not_pending);
// FailPurchase fails a pending one and leaves a finished one as it is.
class FakeLedger final : public PurchaseLedger {
 public:
  explicit FakeLedger(Journal& journal) : journal_(journal) {}

  mutable Faults faults;

  // What BeginPurchase of a new purchase id buys.
  void SetCart(std::vector<std::pair<std::string, int64_t>> lines) {
    std::lock_guard lock(mu_);
    cart_ = std::move(lines);
  }
  // An attempt as an earlier try or a crash left it.
  void Put(v1::PurchaseAttempt attempt) {
    std::lock_guard lock(mu_);
    attempts_[attempt.purchase_id()] = std::move(attempt);
  }
  v1::PurchaseAttempt Get(const std::string& purchase_id) const {
    std::lock_guard lock(mu_);
    auto it = attempts_.find(purchase_id);
    return it == attempts_.end() ? v1::PurchaseAttempt() : it->second;
  }
  std::vector<v1::RecordPurchaseRequest> records() const {
    std::lock_guard lock(mu_);
    return records_;
  }
  std::vector<v1::ListPendingPurchasesRequest> lists() const {
    std::lock_guard lock(mu_);
    return lists_;
  }

  // A pending attempt of `lines`, as BeginPurchase makes it.
  v1::PurchaseAttempt Pending(const std::string& purchase_id, int64_t created_ms = 0) const {
    std::lock_guard lock(mu_);
    v1::PurchaseAttempt a;
    a.set_purchase_id(purchase_id);
    a.set_buyer_id(kBuyer);
    a.set_session_id("session-1");
    a.set_state(v1::PURCHASE_PENDING);
    a.set_created_ms(created_ms);
    for (const auto& [item, quantity] : cart_) {
      v1::CartLine* line = a.add_lines();
      line->set_item_id(item);
      line->set_quantity(quantity);
    }
    return a;
  }

  Task<StatusOr<v1::PurchaseAttempt>> BeginPurchase(
      v1::BeginPurchaseRequest request) const override {
    journal_.Add("BeginPurchase " + request.purchase_id());
    if (auto error = faults.Take("BeginPurchase", request.purchase_id())) co_return *error;
    if (request.session().session_id() != "session-1") co_return NotFound("no such session");
    {
      std::lock_guard lock(mu_);
      if (auto it = attempts_.find(request.purchase_id()); it != attempts_.end()) {
        co_return it->second;
      }
      if (cart_.empty()) {
        co_return Status(StatusCode::kFailedPrecondition, "the cart is empty", "cart_empty");
      }
    }
    v1::PurchaseAttempt attempt = Pending(request.purchase_id());
    std::lock_guard lock(mu_);
    attempts_[attempt.purchase_id()] = attempt;
    co_return attempt;
  }

  Task<StatusOr<v1::RecordPurchaseResponse>> RecordPurchase(
      v1::RecordPurchaseRequest request) const override {
    journal_.Add("RecordPurchase " + request.purchase_id());
    if (auto error = faults.Take("RecordPurchase", request.purchase_id())) co_return *error;
    std::lock_guard lock(mu_);
    records_.push_back(request);
    auto it = attempts_.find(request.purchase_id());
    if (it == attempts_.end() || it->second.state() != v1::PURCHASE_PENDING) {
      co_return Status(StatusCode::kFailedPrecondition, "no longer pending",
                       "purchase_not_pending");
    }
    int64_t total = 0;
    for (const v1::PurchaseLine& line : request.lines()) {
      *it->second.add_recorded() = line;
      total += line.price_cents() * line.quantity();
    }
    it->second.set_total_cents(total);
    it->second.set_state(v1::PURCHASE_COMPLETED);
    v1::RecordPurchaseResponse response;
    response.set_purchase_id(request.purchase_id());
    co_return response;
  }

  Task<StatusOr<v1::PurchaseAttempt>> FailPurchase(v1::FailPurchaseRequest request) const override {
    journal_.Add("FailPurchase " + request.purchase_id() + " " + request.reason());
    if (auto error = faults.Take("FailPurchase", request.purchase_id())) co_return *error;
    std::lock_guard lock(mu_);
    auto it = attempts_.find(request.purchase_id());
    if (it == attempts_.end()) co_return NotFound("no purchase " + request.purchase_id());
    if (it->second.state() == v1::PURCHASE_PENDING) {
      it->second.set_state(v1::PURCHASE_FAILED);
      it->second.set_failure_reason(request.reason());
      it->second.set_failure_message(request.message());
    }
    co_return it->second;
  }

  StatusOr<v1::PurchaseAttemptList> ListPendingPurchases(
      const v1::ListPendingPurchasesRequest& request) const override {
    journal_.Add("ListPendingPurchases");
    if (auto error = faults.Take("ListPendingPurchases", "")) return *error;
    std::lock_guard lock(mu_);
    lists_.push_back(request);
    std::vector<const v1::PurchaseAttempt*> found;
    auto after = std::tuple(request.after_created_ms(), request.after_purchase_id());
    for (const auto& [id, a] : attempts_) {
      if (a.state() == v1::PURCHASE_PENDING && a.created_ms() < request.started_before_ms() &&
          std::tuple(a.created_ms(), a.purchase_id()) > after) {
        found.push_back(&a);
      }
    }
    std::sort(found.begin(), found.end(), [](const auto* a, const auto* b) {
      return std::tuple(a->created_ms(), a->purchase_id()) <
             std::tuple(b->created_ms(), b->purchase_id());
    });
    v1::PurchaseAttemptList list;
    for (const v1::PurchaseAttempt* a : found) {
      if (list.attempts_size() == request.limit()) break;
      *list.add_attempts() = *a;
    }
    return list;
  }

 private:
  Journal& journal_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, int64_t>> cart_;
  mutable std::map<std::string, v1::PurchaseAttempt> attempts_;
  mutable std::vector<v1::RecordPurchaseRequest> records_;
  mutable std::vector<v1::ListPendingPurchasesRequest> lists_;
};

enum class TakeState { kTaken = 1, kReleased = 2, kCommitted = 3 };

// The product DB's items and stock takes: TakeStock takes every line or
// none (a repeat answers the lines taken, a released take is refused),
// ReleaseStock gives a take's units back once, CommitStock marks it. It
// does not check the total, as the real one does, so the saga's own check
// can be reached.
class FakeStock final : public PurchaseStock {
 public:
  explicit FakeStock(Journal& journal) : journal_(journal) {}

  mutable Faults faults;

  void AddItem(const std::string& id, const std::string& name, int64_t price_cents, int64_t units) {
    std::lock_guard lock(mu_);
    v1::Item& item = items_[id];
    item.set_id(id);
    item.set_name(name);
    item.set_price_cents(price_cents);
    item.set_quantity(units);
    item.set_seller_id(kSeller);
  }
  int64_t Units(const std::string& id) const {
    std::lock_guard lock(mu_);
    return items_.at(id).quantity();
  }
  std::optional<TakeState> State(const std::string& purchase_id) const {
    std::lock_guard lock(mu_);
    auto it = takes_.find(purchase_id);
    if (it == takes_.end()) return std::nullopt;
    return it->second.state;
  }
  // A take as an earlier try left it, its units already out of stock.
  void PutTake(const std::string& purchase_id, TakeState state,
               const std::vector<std::pair<std::string, int64_t>>& lines) {
    std::lock_guard lock(mu_);
    Take& take = takes_[purchase_id];
    take.state = state;
    for (const auto& [id, quantity] : lines) {
      take.lines.push_back(Line(items_.at(id), quantity));
      if (state != TakeState::kReleased) {
        items_.at(id).set_quantity(items_.at(id).quantity() - quantity);
      }
    }
  }

  Task<StatusOr<v1::TakeStockResponse>> TakeStock(v1::TakeStockRequest request) const override {
    journal_.Add("TakeStock " + request.purchase_id());
    if (auto error = faults.Take("TakeStock", request.purchase_id())) co_return *error;
    std::lock_guard lock(mu_);
    v1::TakeStockResponse response;
    if (auto it = takes_.find(request.purchase_id()); it != takes_.end()) {
      if (it->second.state == TakeState::kReleased) {
        co_return Status(StatusCode::kFailedPrecondition,
                         "the stock of purchase " + request.purchase_id() + " was given back");
      }
      for (const v1::TakenLine& line : it->second.lines) *response.add_lines() = line;
      co_return response;
    }
    for (const v1::StockLine& line : request.lines()) {
      auto item = items_.find(line.item_id());
      if (item == items_.end()) co_return NotFound("no item " + line.item_id());
      if (item->second.quantity() < line.quantity()) {
        co_return InsufficientQuantity("item " + line.item_id() + " has only " +
                                       std::to_string(item->second.quantity()) + " units left");
      }
    }
    // In the request's order, not by item: the saga orders the answer.
    Take& take = takes_[request.purchase_id()];
    for (const v1::StockLine& line : request.lines()) {
      v1::Item& item = items_.at(line.item_id());
      item.set_quantity(item.quantity() - line.quantity());
      take.lines.push_back(Line(item, line.quantity()));
      *response.add_lines() = take.lines.back();
    }
    co_return response;
  }

  Task<StatusOr<v1::Empty>> ReleaseStock(v1::StockRef ref) const override {
    journal_.Add("ReleaseStock " + ref.purchase_id());
    if (auto error = faults.Take("ReleaseStock", ref.purchase_id())) co_return *error;
    std::lock_guard lock(mu_);
    if (auto it = takes_.find(ref.purchase_id());
        it != takes_.end() && it->second.state == TakeState::kTaken) {
      for (const v1::TakenLine& line : it->second.lines) {
        v1::Item& item = items_.at(line.item_id());
        item.set_quantity(item.quantity() + line.quantity());
      }
      it->second.state = TakeState::kReleased;
    }
    co_return v1::Empty();
  }

  Task<StatusOr<v1::Empty>> CommitStock(v1::StockRef ref) const override {
    journal_.Add("CommitStock " + ref.purchase_id());
    if (auto error = faults.Take("CommitStock", ref.purchase_id())) co_return *error;
    std::lock_guard lock(mu_);
    if (auto it = takes_.find(ref.purchase_id());
        it != takes_.end() && it->second.state == TakeState::kTaken) {
      it->second.state = TakeState::kCommitted;
    }
    co_return v1::Empty();
  }

  Task<StatusOr<v1::ItemList>> GetItems(v1::GetItemsRequest request) const override {
    std::string step = "GetItems";
    for (const std::string& id : request.item_ids()) step += " " + id;
    journal_.Add(step);
    if (auto error = faults.Take("GetItems", "")) co_return *error;
    std::lock_guard lock(mu_);
    v1::ItemList list;
    for (const std::string& id : request.item_ids()) {
      if (auto it = items_.find(id); it != items_.end()) *list.add_items() = it->second;
    }
    co_return list;
  }

 private:
  struct Take {
    TakeState state = TakeState::kTaken;
    std::vector<v1::TakenLine> lines;
  };
  static v1::TakenLine Line(const v1::Item& item, int64_t quantity) {
    v1::TakenLine line;
    line.set_item_id(item.id());
    line.set_quantity(quantity);
    line.set_price_cents(item.price_cents());
    line.set_seller_id(item.seller_id());
    line.set_name(item.name());
    return line;
  }

  Journal& journal_;
  mutable std::mutex mu_;
  mutable std::map<std::string, v1::Item> items_;
  mutable std::map<std::string, Take> takes_;
};

// The payment service: the first decision on a transaction id is stored and
// answered to every later call, whatever the card. Card "0" (the saga's
// probe) fails the Luhn check as with the real policy; kDeclinedCard draws a
// decline; any other card is approved.
class FakePayment final : public PurchasePayment {
 public:
  explicit FakePayment(Journal& journal) : journal_(journal) {}

  mutable Faults faults;

  void Decide(const std::string& transaction_id, bool approved, std::string reason) {
    std::lock_guard lock(mu_);
    decisions_[transaction_id] = {approved, std::move(reason)};
  }
  std::optional<rpc::ChargeDecision> Decision(const std::string& transaction_id) const {
    std::lock_guard lock(mu_);
    auto it = decisions_.find(transaction_id);
    if (it == decisions_.end()) return std::nullopt;
    return it->second;
  }

  StatusOr<rpc::ChargeDecision> Charge(const rpc::ChargeRequest& r) const override {
    journal_.Add("Charge " + r.transaction_id + " " + r.card_number + " " +
                 std::to_string(r.amount_cents));
    if (auto error = faults.Take("Charge", r.transaction_id)) return *error;
    std::lock_guard lock(mu_);
    auto [it, fresh] = decisions_.try_emplace(r.transaction_id);
    if (fresh) {
      if (r.card_number == "0") {
        it->second = {false, "invalid_card"};
      } else if (r.card_number == kDeclinedCard) {
        it->second = {false, "declined"};
      } else {
        it->second = {true, "approved"};
      }
    }
    return it->second;
  }

 private:
  Journal& journal_;
  mutable std::mutex mu_;
  mutable std::map<std::string, rpc::ChargeDecision> decisions_;
};

class PurchaseSagaTest : public ::testing::Test {
 protected:
  PurchaseSagaTest() {
    stock_.AddItem("1-9", "nine", 1250, 5);
    stock_.AddItem("1-10", "ten", 500, 5);
    // Text order, which is not item order: "1-10" sorts before "1-9".
    ledger_.SetCart({{"1-10", 1}, {"1-9", 2}});
  }

  PurchaseSaga& Saga() {
    if (!saga_) {
      saga_.emplace(ledger_, stock_, payment_, clock_,
                    PurchaseSagaOptions{.threads = 1,
                                        .recovery_age = std::chrono::milliseconds(60'000),
                                        .recovery_period = std::chrono::milliseconds(0),
                                        .charge_attempts = 3,
                                        .sleep = [this](std::chrono::milliseconds d) {
                                          journal_.Add("Sleep " + std::to_string(d.count()));
                                        }});
    }
    return *saga_;
  }

  StatusOr<PurchaseReceipt> Buy(const std::string& purchase_id,
                                const std::string& card_number = kGoodCard) {
    v1::SessionRequest session;
    session.set_session_id("session-1");
    Card card{"Ann Buyer", card_number, "12/30", "123"};
    return SyncWait(Saga().Purchase(session, purchase_id, card));
  }

  // An attempt of the cart that recovery finds pending: it began two
  // recovery ages ago.
  v1::PurchaseAttempt Stale(const std::string& purchase_id, int64_t offset_ms = 0) {
    v1::PurchaseAttempt a = ledger_.Pending(purchase_id, clock_.NowMs() - 120'000 + offset_ms);
    ledger_.Put(a);
    return a;
  }

  std::vector<std::string> Steps() const { return journal_.steps(); }

  Journal journal_;
  FakeLedger ledger_{journal_};
  FakeStock stock_{journal_};
  FakePayment payment_{journal_};
  FakeClock clock_;
  std::optional<PurchaseSaga> saga_;  // last: it goes first
};

inline auto Line(const std::string& item_id, const std::string& name, int64_t price_cents,
                 int64_t quantity) {
  return ::testing::AllOf(Field(&ReceiptLine::item_id, item_id), Field(&ReceiptLine::name, name),
                          Field(&ReceiptLine::price_cents, price_cents),
                          Field(&ReceiptLine::quantity, quantity));
}

}  // namespace mp::buyer_frontend::saga_testing
