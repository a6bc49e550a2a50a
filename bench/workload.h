#pragma once

#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_options.h"
#include "bench/call_type.h"
#include "bench/session.h"

namespace mp::bench {

// What every client of a run shares, read-only while the run lasts.
struct WorkloadContext {
  Workload workload = Workload::kRead;
  // Ids of the items the sellers registered during set-up.
  std::vector<std::string> pool;
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
  uint32_t item = 0;      // own-item index (seller) or pool index (buyer)
  int64_t value = 0;      // new price in cents for ChangeItemPrice
  bool new_item = false;  // RegisterItemForSale of an item not registered yet
};

// Picks the session's next call by the workload's mix and writes its target
// and body into the session. Calls that the session's state would make
// fail are replaced: RemoveItemFromCart or MakePurchase on an empty cart
// becomes AddItemToCart, ProvideFeedback with nothing bought and not yet
// voted on becomes GetItem.
PlannedCall NextCall(const WorkloadContext& context, Session& session);

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
