#include "bench/client_loop.h"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>

namespace mp::bench {
namespace asio = boost::asio;

namespace {

// A few examples of each kind of failure are enough for people.
constexpr size_t kNotesKept = 5;

bool IsWrite(CallType type) {
  switch (type) {
    case CallType::kRegisterItemForSale:
    case CallType::kChangeItemPrice:
    case CallType::kUpdateUnitsForSale:
    case CallType::kAddItemToCart:
    case CallType::kRemoveItemFromCart:
    case CallType::kSaveCart:
    case CallType::kMakePurchase:
    case CallType::kProvideFeedback:
      return true;
    default:
      return false;
  }
}

// "AddItemToCart /v1/cart/items: HTTP 503 {...}", for people.
std::string Describe(const PlannedCall& call, const Session& s, const StatusOr<HttpReply>& reply) {
  std::string text(CallName(call.type));
  text.append(" ").append(s.target).append(": ");
  if (!reply.ok()) return text.append(reply.status().ToString());
  text.append("HTTP ").append(std::to_string(reply->status)).append(" ");
  return text.append(reply->body.substr(0, 200));
}

// A field of a JSON reply, or null.
boost::json::value ReplyField(std::string_view body, std::string_view field) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return nullptr;
  const boost::json::value* f = v.get_object().if_contains(field);
  return f ? *f : boost::json::value();
}

// A resilient call's outcome: 503, 504 and a missing reply leave the
// outcome of a write unknown and are worth retrying. A purchase that an
// outage left pending may be undone by recovery before the buyer's repeat
// (or, when the buyer server's saga stalled past the recovery age, its
// first try) gets an answer.
Outcome Classify(const PlannedCall& call, const StatusOr<HttpReply>& reply) {
  if (!reply.ok()) return Outcome::kUnavailable;
  int status = reply->status;
  if (status == call.expected_status) return Outcome::kOk;
  if (status == 402 && call.type == CallType::kMakePurchase) return Outcome::kDeclined;
  if (status == 503 || status == 504) return Outcome::kUnavailable;
  if (status == 400 && call.type == CallType::kMakePurchase &&
      reply->body.find("\"purchase_interrupted\"") != std::string_view::npos) {
    return Outcome::kInterrupted;
  }
  return Outcome::kError;
}

std::string_view ResultName(Outcome outcome, const StatusOr<HttpReply>& reply) {
  switch (outcome) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kDeclined:
      return "declined";
    case Outcome::kInterrupted:
      return "interrupted";
    case Outcome::kUnavailable:
      return !reply.ok() && reply.status().reason() == HttpConnection::kNotSent ? "not_sent"
                                                                                : "unknown";
    case Outcome::kError:
      break;
  }
  return "error";
}

// The journal line of a write (or a failed call), written before the
// session's state takes the outcome in: it names what the call meant to do.
boost::json::object JournalEntry(const WorkloadContext& c, const Session& s,
                                 const PlannedCall& call, Outcome outcome,
                                 const StatusOr<HttpReply>& reply, int64_t start, int64_t end) {
  boost::json::object o{{"t", start},
                        {"end", end},
                        {"client", ClientName(s)},
                        {"user", s.user_id},
                        {"call", CallName(call.type)},
                        {"status", reply.ok() ? reply->status : 0},
                        {"result", ResultName(outcome, reply)}};
  switch (call.type) {
    case CallType::kRegisterItemForSale: {
      boost::json::value id =
          outcome == Outcome::kOk ? ReplyField(reply->body, "item_id") : nullptr;
      if (id.is_string()) {
        o["item"] = id;
      } else if (!call.new_item) {
        o["item"] = s.items[call.item].id;  // a restock names its item
      }
      o["new"] = call.new_item;
      o["units"] = call.value;
      o["price"] = s.items[call.item].price_cents;
      break;
    }
    case CallType::kChangeItemPrice:
      o["item"] = s.items[call.item].id;
      o["price"] = call.value;
      break;
    case CallType::kUpdateUnitsForSale:
      o["item"] = s.items[call.item].id;
      o["units"] = -1;
      break;
    case CallType::kAddItemToCart:
      o["item"] = c.pool[call.item];
      o["units"] = 1;
      break;
    case CallType::kRemoveItemFromCart:
      o["item"] = c.pool[call.item];
      break;
    case CallType::kSaveCart:
      o["cart"] = CartJson(c, s);
      break;
    case CallType::kMakePurchase: {
      o["key"] = s.purchase_key;
      o["retry"] = call.retry;
      o["cart"] = CartJson(c, s);
      if (outcome == Outcome::kOk) {
        o["purchase_id"] = ReplyField(reply->body, "purchase_id");
        boost::json::value total = ReplyField(reply->body, "total");
        if (total.is_number()) {
          o["total"] = static_cast<int64_t>(std::llround(total.to_number<double>() * 100));
        }
      }
      break;
    }
    case CallType::kProvideFeedback:
      o["item"] = c.pool[call.item];
      o["vote"] = call.value == 1 ? "up" : "down";
      break;
    default:
      break;
  }
  return o;
}

}  // namespace

int64_t SteadyNs(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string ClientName(const Session& s) {
  std::string name(s.role == Role::kSeller ? "s" : "b");
  name += std::to_string(s.index);
  return name;
}

boost::json::object CartJson(const WorkloadContext& c, const Session& s) {
  boost::json::object cart;
  for (const CartLine& line : s.cart) cart[c.pool[line.item]] = line.quantity;
  return cart;
}

// Keeps `text` in `list` unless it is there or the list is full.
void Note(std::mutex& mu, std::vector<std::string>& list, std::string text) {
  std::lock_guard lock(mu);
  if (list.size() < kNotesKept && std::find(list.begin(), list.end(), text) == list.end()) {
    list.push_back(std::move(text));
  }
}

// One client's part of a duration run (r.deadline) or a resilient run
// (BenchOptions::resilient).
asio::awaitable<void> RunClientLoop(ClientLoop& r, Session& s) {
  const WorkloadContext& c = r.context;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int64_t i = 0; r.calls < 0 || i < r.calls; ++i) {
    if (r.stop.load(std::memory_order_relaxed) || Clock::now() >= r.deadline) break;
    PlannedCall call = r.resilient ? NextResilientCall(c, s) : NextCall(c, s);
    Clock::time_point start = Clock::now();
    StatusOr<HttpReply> reply = co_await s.connection.Call(
        call.verb, s.target, s.body,
        call.type == CallType::kMakePurchase ? std::string_view(s.purchase_key) : "");
    Clock::time_point end = Clock::now();
    Outcome outcome = Classify(call, reply);
    if (!r.resilient && outcome != Outcome::kOk && outcome != Outcome::kDeclined) {
      outcome = Outcome::kError;
    }
    std::vector<std::string> found;
    if (outcome == Outcome::kOk && call.sync) {
      auto synced = SyncFromReply(c, s, reply->body);
      if (synced.ok()) {
        found = std::move(synced).value();
      } else {
        outcome = Outcome::kError;
        r.note_error(std::string(CallName(call.type)) + ": " + synced.status().message());
      }
    }
    int64_t t0 = SteadyNs(start), t1 = SteadyNs(end);
    r.samples.push_back({t1 - t0, call.type, outcome});
    if (r.journal && (IsWrite(call.type) || outcome != Outcome::kOk)) {
      boost::json::object entry = JournalEntry(c, s, call, outcome, reply, t0, t1);
      r.log.journal.emplace_back(t0, boost::json::serialize(entry));
    }
    for (const std::string& id : found) {
      // A registration whose outcome was unknown happened after all.
      boost::json::object entry{{"t", t0},
                                {"end", t1},
                                {"client", ClientName(s)},
                                {"user", s.user_id},
                                {"call", CallName(CallType::kRegisterItemForSale)},
                                {"result", "found"},
                                {"item", id},
                                {"units", kNewItemUnits}};
      if (r.journal) r.log.journal.emplace_back(t0, boost::json::serialize(entry));
    }
    bool unavailable = outcome == Outcome::kUnavailable;
    if (!unavailable && outcome != Outcome::kError &&
        r.failing[Index(call.type)].exchange(false, std::memory_order_relaxed) && r.journal) {
      boost::json::object entry{{"t", t0},
                                {"end", t1},
                                {"client", ClientName(s)},
                                {"call", CallName(call.type)},
                                {"result", "recovered"}};
      r.log.journal.emplace_back(t0, boost::json::serialize(entry));
    }
    switch (outcome) {
      case Outcome::kOk:
        if (!call.sync) OnSuccess(c, s, call, reply->body);
        [[fallthrough]];
      case Outcome::kDeclined:
      case Outcome::kInterrupted:
        if (call.type == CallType::kMakePurchase) s.purchase_key.clear();
        break;
      case Outcome::kUnavailable:
        r.failing[Index(call.type)].store(true, std::memory_order_relaxed);
        r.log.failures.emplace_back(t0, t1);
        Note(r.log.notes_mu, r.log.notes, Describe(call, s, reply));
        OnFailure(s, call);
        // What the session assumed of its own state may be wrong now.
        if (call.type == CallType::kAddItemToCart || call.type == CallType::kRemoveItemFromCart) {
          s.sync_cart = true;
        }
        if ((call.type == CallType::kRegisterItemForSale && call.new_item) ||
            call.type == CallType::kChangeItemPrice) {
          s.sync_items = true;
        }
        break;
      case Outcome::kError:
        OnFailure(s, call);
        if (call.type == CallType::kMakePurchase) s.purchase_key.clear();
        (s.role == Role::kBuyer ? s.sync_cart : s.sync_items) = true;
        r.note_error(Describe(call, s, reply));
        break;
    }
    r.done.store(r.done.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (unavailable) {
      Clock::time_point resume = end + r.retry_wait;
      // A write that may be under way somewhere: its outcome is read back
      // only once it can no longer land (BenchOptions::settle_ms).
      bool sent = reply.ok() || reply.status().reason() != HttpConnection::kNotSent;
      if (IsWrite(call.type) && sent) resume = std::max(resume, start + r.settle);
      if (resume > Clock::now()) {
        timer.expires_at(resume);
        co_await timer.async_wait(asio::use_awaitable);
      }
    }
  }
}

}  // namespace mp::bench
