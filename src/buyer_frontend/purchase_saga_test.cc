// The purchase saga over in-memory services, one test per rule of
// docs/purchases.md ("The saga", "Recovery"): which steps run, in which
// order, with which arguments, and what the buyer is answered. The fakes keep
// state as the real services do (attempts, stock takes, one stored decision
// per transaction id) and can be told to fail a step; the clock and the
// charge retry's sleep are fake, so nothing waits. The same rules on real
// processes, crashes included, are tests/integration/purchase_test.cc and
// purchase_crash_test.cc.
#include "buyer_frontend/purchase_saga.h"

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

#include "common/clock.h"
#include "common/status_mapping.h"
#include "common/status_testing.h"
#include "common/types.h"

namespace mp::buyer_frontend {
namespace {

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

auto Line(const std::string& item_id, const std::string& name, int64_t price_cents,
          int64_t quantity) {
  return ::testing::AllOf(Field(&ReceiptLine::item_id, item_id), Field(&ReceiptLine::name, name),
                          Field(&ReceiptLine::price_cents, price_cents),
                          Field(&ReceiptLine::quantity, quantity));
}

// The saga's steps, as docs/purchases.md draws them.

TEST_F(PurchaseSagaTest, ApprovalIsRecordedCommittedBesideTheAnswerAndGivesTheReceipt) {
  StatusOr<PurchaseReceipt> receipt = Buy("p1");
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  EXPECT_THAT(Steps(),
              ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 4111111111111111 3000",
                          "RecordPurchase p1", "CommitStock p1"));
  EXPECT_EQ(receipt->purchase_id, "p1");
  // By item number, whatever order the take answered in.
  EXPECT_THAT(receipt->lines,
              ElementsAre(Line("1-9", "nine", 1250, 2), Line("1-10", "ten", 500, 1)));
  EXPECT_EQ(receipt->total_cents, 3000);

  std::vector<v1::RecordPurchaseRequest> records = ledger_.records();
  ASSERT_EQ(records.size(), 1u);
  const v1::RecordPurchaseRequest& record = records[0];
  EXPECT_EQ(record.buyer_id(), kBuyer);
  EXPECT_EQ(record.clear_session_id(), "session-1");
  ASSERT_EQ(record.lines_size(), 2);
  EXPECT_EQ(record.lines(0).item_id(), "1-9");
  EXPECT_EQ(record.lines(0).seller_id(), kSeller);
  EXPECT_EQ(record.lines(0).quantity(), 2);
  EXPECT_EQ(record.lines(0).price_cents(), 1250);
  EXPECT_EQ(record.lines(1).item_id(), "1-10");

  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_COMPLETED);
  EXPECT_EQ(stock_.State("p1"), TakeState::kCommitted);
  EXPECT_EQ(stock_.Units("1-9"), 3);
  EXPECT_EQ(stock_.Units("1-10"), 4);
}

TEST_F(PurchaseSagaTest, ACompletedRepeatGetsTheFirstAnswerWithTheNames) {
  ASSERT_TRUE(Buy("p1").ok());
  journal_.Clear();

  StatusOr<PurchaseReceipt> again = Buy("p1", kDeclinedCard);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  // The recorded lines give no names: they are read again, and nothing is
  // taken or charged.
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "GetItems 1-9 1-10"));
  EXPECT_EQ(again->purchase_id, "p1");
  EXPECT_THAT(again->lines, ElementsAre(Line("1-9", "nine", 1250, 2), Line("1-10", "ten", 500, 1)));
  EXPECT_EQ(again->total_cents, 3000);
}

TEST_F(PurchaseSagaTest, ACompletedRepeatIsInItemOrderAndAnsweredWithoutNamesWhenTheyCannotBeRead) {
  v1::PurchaseAttempt done = ledger_.Pending("p1");
  done.set_state(v1::PURCHASE_COMPLETED);
  done.set_total_cents(3000);
  for (auto [item, quantity, price] : {std::tuple("1-10", 1, 500), std::tuple("1-9", 2, 1250)}) {
    v1::PurchaseLine* line = done.add_recorded();
    line->set_item_id(item);
    line->set_seller_id(kSeller);
    line->set_quantity(quantity);
    line->set_price_cents(price);
  }
  ledger_.Put(done);
  stock_.faults.Next("GetItems", Unavailable("product DB down"));

  StatusOr<PurchaseReceipt> again = Buy("p1");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "GetItems 1-10 1-9"));
  EXPECT_THAT(again->lines, ElementsAre(Line("1-9", "", 1250, 2), Line("1-10", "", 500, 1)));
  EXPECT_EQ(again->total_cents, 3000);
}

TEST_F(PurchaseSagaTest, AFailedRepeatGetsTheSameError) {
  struct Case {
    std::string reason;
    StatusCode code;
    int http;
  };
  for (const Case& c : {Case{"payment_declined", StatusCode::kFailedPrecondition, 402},
                        Case{"insufficient_quantity", StatusCode::kAborted, 409},
                        Case{"not_found", StatusCode::kNotFound, 404},
                        Case{"invalid_argument", StatusCode::kInvalidArgument, 400},
                        Case{"purchase_interrupted", StatusCode::kFailedPrecondition, 400}}) {
    SCOPED_TRACE(c.reason);
    journal_.Clear();
    v1::PurchaseAttempt failed = ledger_.Pending("p-" + c.reason);
    failed.set_state(v1::PURCHASE_FAILED);
    failed.set_failure_reason(c.reason);
    failed.set_failure_message("as the first time");
    ledger_.Put(failed);

    StatusOr<PurchaseReceipt> again = Buy("p-" + c.reason);
    EXPECT_TRUE(HasError(again, c.code, c.reason));
    EXPECT_EQ(again.status().message(), "as the first time");
    EXPECT_EQ(ToHttp(again.status()), c.http);
    EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p-" + c.reason));
  }
}

TEST_F(PurchaseSagaTest, ARefusedBeginIsTheAnswerAndNothingElseRuns) {
  Status busy_cart(StatusCode::kAborted, "a purchase of this cart is running",
                   "purchase_in_progress");
  ledger_.faults.Next("BeginPurchase", busy_cart);
  StatusOr<PurchaseReceipt> busy = Buy("p1");
  EXPECT_TRUE(HasError(busy, StatusCode::kAborted, "purchase_in_progress"));
  EXPECT_EQ(ToHttp(busy.status()), 409);

  ledger_.SetCart({});
  StatusOr<PurchaseReceipt> empty = Buy("p2");
  EXPECT_TRUE(HasError(empty, StatusCode::kFailedPrecondition, "cart_empty"));
  EXPECT_EQ(ToHttp(empty.status()), 400);

  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "BeginPurchase p2"));
}

TEST_F(PurchaseSagaTest, ATakeWithAnUnknownOutcomeUndoesNothingAndLeavesTheAttemptPending) {
  for (Status lost :
       {Unavailable("product DB down"), Status(StatusCode::kDeadlineExceeded, "deadline passed")}) {
    SCOPED_TRACE(lost.ToString());
    journal_.Clear();
    stock_.faults.Next("TakeStock", lost);
    StatusOr<PurchaseReceipt> r = Buy("p1");
    EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
    EXPECT_EQ(r.status().message(), "the purchase could not finish; retry");
    EXPECT_EQ(ToHttp(r.status()), 503);
    EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1"));
    EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
    EXPECT_FALSE(payment_.Decision("p1").has_value());
  }
}

TEST_F(PurchaseSagaTest, ARefusedTakeProbesReleasesAndFails) {
  stock_.AddItem("1-9", "nine", 1250, 1);  // the cart wants 2
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kAborted, "insufficient_quantity"));
  EXPECT_EQ(r.status().message(), "item 1-9 has only 1 units left");
  EXPECT_EQ(ToHttp(r.status()), 409);
  // The probe (card "0", amount 1: the attempt has no total yet) fixes the
  // charge as declined before any stock goes back.
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1",
                                   "ReleaseStock p1", "FailPurchase p1 insufficient_quantity"));
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_FAILED);
  ASSERT_TRUE(payment_.Decision("p1").has_value());
  EXPECT_FALSE(payment_.Decision("p1")->approved);
  EXPECT_EQ(stock_.Units("1-10"), 5);
}

TEST_F(PurchaseSagaTest, ATakeOfAnUnknownItemIsUndoneAsNotFound) {
  ledger_.SetCart({{"1-99", 1}});
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kNotFound));
  EXPECT_EQ(ToHttp(r.status()), 404);
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1",
                                   "ReleaseStock p1", "FailPurchase p1 not_found"));
}

TEST_F(PurchaseSagaTest, ATakeRefusedAfterAnUndoFinishesThatUndoForItsReason) {
  struct Case {
    std::string stored;  // the decision the payment service holds
    std::string reason;
    int http;
  };
  for (const Case& c : {Case{"declined", "payment_declined", 402},
                        Case{"invalid_card", "purchase_interrupted", 400}}) {
    SCOPED_TRACE(c.stored);
    journal_.Clear();
    const std::string id = "p-" + c.stored;
    // An earlier try got as far as giving the stock back.
    stock_.PutTake(id, TakeState::kReleased, {{"1-9", 2}, {"1-10", 1}});
    payment_.Decide(id, false, c.stored);

    StatusOr<PurchaseReceipt> r = Buy(id);
    EXPECT_TRUE(HasError(r, StatusCode::kFailedPrecondition, c.reason));
    EXPECT_EQ(ToHttp(r.status()), c.http);
    EXPECT_THAT(Steps(),
                ElementsAre("BeginPurchase " + id, "TakeStock " + id, "Charge " + id + " 0 1",
                            "ReleaseStock " + id, "FailPurchase " + id + " " + c.reason));
    EXPECT_EQ(ledger_.Get(id).failure_reason(), c.reason);
  }
  EXPECT_EQ(stock_.Units("1-9"), 5);
}

TEST_F(PurchaseSagaTest, ATakeRefusedAfterAnUndoOfAnApprovedChargeIsInconsistent) {
  stock_.PutTake("p1", TakeState::kReleased, {{"1-9", 2}, {"1-10", 1}});
  payment_.Decide("p1", true, "approved");
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kInternal));
  EXPECT_EQ(r.status().message(), "purchase p1 is inconsistent");
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1"));
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
}

TEST_F(PurchaseSagaTest, ATotalPastTheMaximumIsUndoneBeforeAnyCharge) {
  stock_.AddItem("1-9", "nine", kMaxOrderTotalCents, 5);  // two of them pass it
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kInvalidArgument));
  EXPECT_EQ(ToHttp(r.status()), 400);
  EXPECT_THAT(r.status().message(), ::testing::StartsWith("total: "));
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1",
                                   "ReleaseStock p1", "FailPurchase p1 invalid_argument"));
  EXPECT_EQ(stock_.Units("1-9"), 5);
}

TEST_F(PurchaseSagaTest, AChargeRefusedAsInvalidIsNotRetriedAndIsUndone) {
  payment_.faults.Next("Charge", Status(StatusCode::kInvalidArgument, "amount: too large"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kInvalidArgument));
  EXPECT_EQ(r.status().message(), "amount: too large");
  EXPECT_THAT(Steps(),
              ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 4111111111111111 3000",
                          "Charge p1 0 1", "ReleaseStock p1", "FailPurchase p1 invalid_argument"));
  EXPECT_EQ(stock_.State("p1"), TakeState::kReleased);
}

TEST_F(PurchaseSagaTest, AChargeWithoutAnswerIsTriedAgainWithBackoffThenLeftPending) {
  for (int i = 0; i < 3; ++i) payment_.faults.Next("Charge", Unavailable("payment down"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
  EXPECT_EQ(r.status().message(), "the payment service did not answer; retry");
  EXPECT_EQ(ToHttp(r.status()), 503);
  const std::string charge = "Charge p1 4111111111111111 3000";
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", charge, "Sleep 100", charge,
                                   "Sleep 200", charge));
  // The charge may have happened: nothing is given back.
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
  EXPECT_EQ(stock_.State("p1"), TakeState::kTaken);
}

TEST_F(PurchaseSagaTest, AChargeAnsweredOnItsSecondTryGoesOn) {
  payment_.faults.Next("Charge", Unavailable("payment down"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string charge = "Charge p1 4111111111111111 3000";
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", charge, "Sleep 100", charge,
                                   "RecordPurchase p1", "CommitStock p1"));
}

TEST_F(PurchaseSagaTest, ADeclineReleasesAndFailsWithoutAProbe) {
  StatusOr<PurchaseReceipt> r = Buy("p1", kDeclinedCard);
  EXPECT_TRUE(HasError(r, StatusCode::kFailedPrecondition, kPaymentDeclined));
  EXPECT_EQ(r.status().message(), "the card was declined: declined");
  EXPECT_EQ(ToHttp(r.status()), 402);
  EXPECT_THAT(Steps(),
              ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 4000000000000002 3000",
                          "ReleaseStock p1", "FailPurchase p1 payment_declined"));
  EXPECT_EQ(stock_.Units("1-9"), 5);
  EXPECT_EQ(stock_.Units("1-10"), 5);
}

TEST_F(PurchaseSagaTest, ARecordRefusedAsNotPendingIsInconsistentAndMovesNothingBack) {
  ledger_.faults.Next("RecordPurchase",
                      Status(StatusCode::kFailedPrecondition, "purchase p1 is no longer pending",
                             "purchase_not_pending"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kInternal));
  EXPECT_EQ(r.status().message(), "purchase p1 is inconsistent");
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1",
                                   "Charge p1 4111111111111111 3000", "RecordPurchase p1"));
  EXPECT_EQ(stock_.State("p1"), TakeState::kTaken);
}

TEST_F(PurchaseSagaTest, ARecordWithoutAnswerIsUnavailableAndMovesNothingBack) {
  ledger_.faults.Next("RecordPurchase", Unavailable("customer DB down"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
  EXPECT_EQ(r.status().message(), "the purchase is paid and will be recorded shortly");
  EXPECT_EQ(ToHttp(r.status()), 503);
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1",
                                   "Charge p1 4111111111111111 3000", "RecordPurchase p1"));
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
  EXPECT_EQ(stock_.State("p1"), TakeState::kTaken);
}

TEST_F(PurchaseSagaTest, AnUndoWhoseProbeFindsAnApprovalTakesAgainAndCompletes) {
  // Another request for p1 was charged; this one's take was refused.
  payment_.Decide("p1", true, "approved");
  stock_.faults.Next("TakeStock", InsufficientQuantity("item 1-9 has only 0 units left"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1",
                                   "TakeStock p1", "RecordPurchase p1", "CommitStock p1"));
  EXPECT_EQ(r->total_cents, 3000);
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_COMPLETED);
}

TEST_F(PurchaseSagaTest, AnUndoWhoseProbeFindsAnApprovalButCannotTakeIsUnavailable) {
  payment_.Decide("p1", true, "approved");
  stock_.faults.Next("TakeStock", InsufficientQuantity("item 1-9 has only 0 units left"));
  stock_.faults.Next("TakeStock", Unavailable("product DB down"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
  EXPECT_EQ(r.status().message(), "the purchase is paid and will be recorded shortly");
  EXPECT_THAT(Steps(),
              ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1", "TakeStock p1"));
}

TEST_F(PurchaseSagaTest, AnUndoWhoseProbeGetsNoAnswerGivesNothingBack) {
  stock_.AddItem("1-9", "nine", 1250, 1);
  for (int i = 0; i < 3; ++i) payment_.faults.Next("Charge", Unavailable("payment down"));
  StatusOr<PurchaseReceipt> r = Buy("p1");
  EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
  EXPECT_EQ(r.status().message(), "the purchase could not finish; retry");
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1", "Charge p1 0 1", "Sleep 100",
                                   "Charge p1 0 1", "Sleep 200", "Charge p1 0 1"));
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
}

TEST_F(PurchaseSagaTest, AFailedReleaseIsUnavailableAndLeavesTheAttemptPending) {
  stock_.faults.Next("ReleaseStock", Unavailable("product DB down"));
  StatusOr<PurchaseReceipt> r = Buy("p1", kDeclinedCard);
  EXPECT_TRUE(HasError(r, StatusCode::kUnavailable));
  EXPECT_EQ(r.status().message(), "the purchase could not finish; retry");
  EXPECT_EQ(ToHttp(r.status()), 503);
  EXPECT_THAT(Steps(), ElementsAre("BeginPurchase p1", "TakeStock p1",
                                   "Charge p1 4000000000000002 3000", "ReleaseStock p1"));
  EXPECT_EQ(ledger_.Get("p1").state(), v1::PURCHASE_PENDING);
  EXPECT_EQ(stock_.State("p1"), TakeState::kTaken);
}

// Recovery.

TEST_F(PurchaseSagaTest, RecoveryLooksForAttemptsPendingLongerThanTheRecoveryAge) {
  StatusOr<int> settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 0);
  clock_.Advance(5'000);
  ASSERT_TRUE(Saga().RecoverOnce().ok());

  std::vector<v1::ListPendingPurchasesRequest> lists = ledger_.lists();
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[0].started_before_ms(), 1'700'000'000'000 - 60'000);
  EXPECT_EQ(lists[1].started_before_ms(), 1'700'000'000'000 + 5'000 - 60'000);
  EXPECT_EQ(lists[0].limit(), 50);
  EXPECT_EQ(lists[0].after_created_ms(), 0);
  EXPECT_EQ(lists[0].after_purchase_id(), "");
}

TEST_F(PurchaseSagaTest, RecoveryCompletesApprovedChargesAndUndoesTheOthers) {
  // Crashed after the charge; after a declined charge's release; after the
  // take, before any charge; and one too young to settle.
  Stale("approved", 1);
  stock_.PutTake("approved", TakeState::kTaken, {{"1-9", 2}, {"1-10", 1}});
  payment_.Decide("approved", true, "approved");
  Stale("declined", 2);
  stock_.PutTake("declined", TakeState::kReleased, {{"1-9", 2}, {"1-10", 1}});
  payment_.Decide("declined", false, "declined");
  Stale("taken", 3);
  stock_.PutTake("taken", TakeState::kTaken, {{"1-9", 2}, {"1-10", 1}});
  ledger_.Put(ledger_.Pending("young", clock_.NowMs() - 1'000));

  StatusOr<int> settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 3);
  EXPECT_EQ(Saga().recovered(), 3u);
  EXPECT_EQ(Saga().recovery_failures(), 0u);
  EXPECT_THAT(Steps(), ElementsAre("ListPendingPurchases",
                                   // forward: the repeated take answers the lines taken before
                                   "Charge approved 0 1", "TakeStock approved",
                                   "RecordPurchase approved", "CommitStock approved",
                                   // back, for the stored decision's reason
                                   "Charge declined 0 1", "ReleaseStock declined",
                                   "FailPurchase declined payment_declined",
                                   // back: the probe's decline is the lock
                                   "Charge taken 0 1", "ReleaseStock taken",
                                   "FailPurchase taken purchase_interrupted"));
  EXPECT_EQ(ledger_.Get("approved").state(), v1::PURCHASE_COMPLETED);
  EXPECT_EQ(ledger_.Get("approved").total_cents(), 3000);
  EXPECT_EQ(stock_.State("approved"), TakeState::kCommitted);
  EXPECT_EQ(ledger_.Get("declined").failure_reason(), "payment_declined");
  EXPECT_EQ(ledger_.Get("taken").failure_reason(), "purchase_interrupted");
  EXPECT_EQ(stock_.State("taken"), TakeState::kReleased);
  ASSERT_TRUE(payment_.Decision("taken").has_value());
  EXPECT_FALSE(payment_.Decision("taken")->approved);
  EXPECT_EQ(ledger_.Get("young").state(), v1::PURCHASE_PENDING);
  // Only "approved" keeps its units.
  EXPECT_EQ(stock_.Units("1-9"), 3);
  EXPECT_EQ(stock_.Units("1-10"), 4);
}

TEST_F(PurchaseSagaTest, RecoveryPagesPastFiftyAndGoesOnPastAttemptsThatFail) {
  // 120 attempts, the first 110 of which cannot be released: without the
  // cursor, every page would be those that fail.
  std::vector<std::string> ids;
  for (int i = 0; i < 120; ++i) {
    std::string digits = std::to_string(i);
    std::string id = "p";
    id.append(3 - digits.size(), '0').append(digits);
    ids.push_back(id);
    Stale(id, i / 2);  // two at each time: the cursor needs the id too
    if (i < 110) stock_.faults.Always("ReleaseStock", id, Unavailable("product DB down"));
  }

  StatusOr<int> settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 10);
  EXPECT_EQ(Saga().recovered(), 10u);
  EXPECT_EQ(Saga().recovery_failures(), 110u);
  std::vector<v1::ListPendingPurchasesRequest> lists = ledger_.lists();
  ASSERT_EQ(lists.size(), 3u);
  const v1::PurchaseAttempt p049 = ledger_.Get("p049");
  const v1::PurchaseAttempt p099 = ledger_.Get("p099");
  EXPECT_EQ(lists[1].after_created_ms(), p049.created_ms());
  EXPECT_EQ(lists[1].after_purchase_id(), "p049");
  EXPECT_EQ(lists[2].after_created_ms(), p099.created_ms());
  EXPECT_EQ(lists[2].after_purchase_id(), "p099");
  for (const v1::ListPendingPurchasesRequest& list : lists) {
    EXPECT_EQ(list.started_before_ms(), lists[0].started_before_ms());
  }
  std::vector<std::string> steps = Steps();
  for (const std::string& id : ids) {
    EXPECT_EQ(std::count(steps.begin(), steps.end(), "Charge " + id + " 0 1"), 1) << id;
  }
  EXPECT_EQ(ledger_.Get("p000").state(), v1::PURCHASE_PENDING);
  EXPECT_EQ(ledger_.Get("p109").state(), v1::PURCHASE_PENDING);
  EXPECT_EQ(ledger_.Get("p110").state(), v1::PURCHASE_FAILED);

  // Left pending for the next pass, which settles them once the product DB
  // is back.
  stock_.faults.Heal();
  settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 110);
  EXPECT_EQ(Saga().recovered(), 120u);
  EXPECT_EQ(Saga().recovery_failures(), 110u);
  EXPECT_EQ(ledger_.Get("p000").failure_reason(), "purchase_interrupted");
}

TEST_F(PurchaseSagaTest, RecoveryCountsAnApprovedChargeWhoseStockCannotBeTakenAsAFailure) {
  Stale("approved");
  payment_.Decide("approved", true, "approved");
  stock_.faults.Next("TakeStock", Unavailable("product DB down"));
  StatusOr<int> settled = Saga().RecoverOnce();
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(*settled, 0);
  EXPECT_EQ(Saga().recovery_failures(), 1u);
  EXPECT_THAT(Steps(),
              ElementsAre("ListPendingPurchases", "Charge approved 0 1", "TakeStock approved"));
  EXPECT_EQ(ledger_.Get("approved").state(), v1::PURCHASE_PENDING);
}

TEST_F(PurchaseSagaTest, RecoveryThatCannotListReturnsTheError) {
  Stale("p1");
  ledger_.faults.Next("ListPendingPurchases", Unavailable("customer DB down"));
  EXPECT_TRUE(HasError(Saga().RecoverOnce(), StatusCode::kUnavailable));
  EXPECT_THAT(Steps(), ElementsAre("ListPendingPurchases"));
  EXPECT_EQ(Saga().recovery_failures(), 0u);
}

}  // namespace
}  // namespace mp::buyer_frontend
