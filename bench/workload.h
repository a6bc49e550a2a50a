#pragma once

#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bench/bench_options.h"
#include "bench/call_type.h"
#include "bench/session.h"

namespace mp::bench {

// Units a new item starts with: enough that neither buyers nor withdrawals
// run stock out during any number of runs. A restock (RegisterItemForSale of
// an item equal to one of the seller's) adds kRestockUnits.
inline constexpr int64_t kNewItemUnits = 1'000'000;
inline constexpr int64_t kRestockUnits = 10;

// The words of the workload's items and searches (keywords are 1-8
// characters, docs/contract.md §2), and its categories, 1 to kCategories: a
// few, so that searches find several pages of items.
inline constexpr std::string_view kWords[] = {"red",  "blue",  "green", "lamp", "chair", "table",
                                              "book", "phone", "bike",  "shoe", "coat",  "watch"};
inline constexpr int64_t kCategories = 4;

// What every client of a run shares, read-only while the run lasts.
struct WorkloadContext {
  Workload workload = Workload::kRead;
  // Ids of the items the sellers registered during set-up, and the index
  // of each id in `pool`.
  std::vector<std::string> pool;
  std::unordered_map<std::string, uint32_t> pool_index;
  int search_limit = 20;
  // Items a seller may hold before RegisterItemForSale re-registers an
  // existing item (which merges, adding units) instead of a new one.
  int max_items_per_seller = 40;
  // MakePurchase body: a valid card (the payment service may still decline).
  std::string purchase_body;
};

// A call about to be made; its target and body are in the session.
struct PlannedCall {
  CallType type = CallType::kGetItem;
  boost::beast::http::verb verb = boost::beast::http::verb::get;
  int expected_status = 200;
  uint32_t item = 0;  // own-item index (seller) or pool index (buyer)
  // ChangeItemPrice: the new price in cents; RegisterItemForSale: the units
  // registered; ProvideFeedback: 1 up, 0 down.
  int64_t value = 0;
  bool new_item = false;  // RegisterItemForSale of an item not registered yet
  // Resilient runs: a DisplayCart or DisplayItemsForSale that reads the
  // client's state back after a write whose outcome was unknown; a
  // MakePurchase repeated with the key of one that had no final answer.
  bool sync = false;
  bool retry = false;
};

// Picks the session's next call by the workload's mix and writes its target
// and body into the session. Calls that the session's state would make
// fail are replaced: RemoveItemFromCart or MakePurchase on an empty cart
// becomes AddItemToCart, ProvideFeedback with nothing bought and not yet
// voted on becomes GetItem.
PlannedCall NextCall(const WorkloadContext& context, Session& session);

// NextCall for a resilient client (BenchOptions::resilient): first the
// purchase still without a final answer, repeated with its Idempotency-Key
// (session.purchase_key); then the read-back of the cart or items the
// session must sync; else NextCall, and a new MakePurchase gets a new key.
PlannedCall NextResilientCall(const WorkloadContext& context, Session& session);

// Replaces the session's cart (buyer) or items (seller) by what the reply
// of a sync call lists. Returns the ids of items the seller did not know
// of (an unknown registration that happened). kInternal for a reply that
// does not parse.
StatusOr<std::vector<std::string>> SyncFromReply(const WorkloadContext& context, Session& session,
                                                 std::string_view reply_body);

// Updates the session's state after `call` got its expected status.
void OnSuccess(const WorkloadContext& context, Session& session, const PlannedCall& call,
               std::string_view reply_body);

// Undoes what NextCall assumed of a call that did not succeed (a new item
// that got no id is forgotten).
void OnFailure(Session& session, const PlannedCall& call);

// Writes a RegisterItemForSale of a new item into `session` (set-up uses it
// too); the item's fields follow from the seller's count of items created.
PlannedCall PlanNewItem(Session& session, int64_t quantity);
// Writes an AddItemToCart of the buyer's next pool item, one unit.
PlannedCall PlanAddToCart(const WorkloadContext& context, Session& session);

// The workload's mix for people, e.g. "seller: DisplayItemsForSale 50%,
// GetSellerRating 50%; buyer: ...".
std::string MixDescription(Workload workload);

// "12.34" for 1234 cents: a JSON number with exactly the cents, no float.
void AppendPrice(std::string& out, int64_t cents);

}  // namespace mp::bench
