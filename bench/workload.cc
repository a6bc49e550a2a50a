#include "bench/workload.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <span>

namespace mp::bench {
namespace bhttp = boost::beast::http;

namespace {

struct Weighted {
  CallType type;
  uint32_t weight;
};

// The mixes. Read: only calls that change nothing. Mixed: about half of
// the calls write, as a busy marketplace would see; purchases are a tenth
// of a buyer's calls, each one a payment round trip and a saga of writes.
constexpr Weighted kSellerRead[] = {{CallType::kDisplayItemsForSale, 50},
                                    {CallType::kGetSellerRating, 50}};
constexpr Weighted kSellerMixed[] = {{CallType::kDisplayItemsForSale, 30},
                                     {CallType::kGetSellerRating, 20},
                                     {CallType::kRegisterItemForSale, 10},
                                     {CallType::kChangeItemPrice, 20},
                                     {CallType::kUpdateUnitsForSale, 20}};
constexpr Weighted kBuyerRead[] = {{CallType::kSearchItemsForSale, 35},
                                   {CallType::kGetItem, 30},
                                   {CallType::kDisplayCart, 20},
                                   {CallType::kGetBuyerPurchases, 15}};
constexpr Weighted kBuyerMixed[] = {{CallType::kSearchItemsForSale, 25},
                                    {CallType::kGetItem, 20},
                                    {CallType::kDisplayCart, 10},
                                    {CallType::kGetBuyerPurchases, 5},
                                    {CallType::kAddItemToCart, 15},
                                    {CallType::kRemoveItemFromCart, 5},
                                    {CallType::kSaveCart, 5},
                                    {CallType::kMakePurchase, 10},
                                    {CallType::kProvideFeedback, 5}};

constexpr uint32_t kWordCount = std::size(kWords);
// A cart longer than this shrinks rather than grows.
constexpr size_t kMaxCartLines = 8;

CallType Pick(std::span<const Weighted> mix, Rng& rng) {
  uint32_t total = 0;
  for (const Weighted& w : mix) total += w.weight;
  uint32_t r = rng.Below(total);
  for (const Weighted& w : mix) {
    if (r < w.weight) return w.type;
    r -= w.weight;
  }
  return mix.back().type;
}

void AppendInt(std::string& out, int64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

PlannedCall Plan(Session& s, CallType type, bhttp::verb verb, std::string_view target,
                 int expected = 200) {
  s.target.assign(target);
  s.body.clear();
  PlannedCall call;
  call.type = type;
  call.verb = verb;
  call.expected_status = expected;
  return call;
}

void AppendRegisterBody(std::string& body, const OwnItem& item, int64_t quantity) {
  body.assign(R"({"name":")").append(item.name).append(R"(","category":)");
  AppendInt(body, item.category);
  body.append(R"(,"keywords":)").append(item.keywords_json);
  body.append(R"(,"condition":"new","price":)");
  AppendPrice(body, item.price_cents);
  body.append(R"(,"quantity":)");
  AppendInt(body, quantity);
  body.append("}");
}

PlannedCall NextSellerCall(const WorkloadContext& c, Session& s) {
  CallType type = Pick(c.workload == Workload::kRead ? std::span<const Weighted>(kSellerRead)
                                                     : std::span<const Weighted>(kSellerMixed),
                       s.rng);
  if (s.items.empty() && type != CallType::kGetSellerRating) {
    type = CallType::kDisplayItemsForSale;
  }
  switch (type) {
    case CallType::kGetSellerRating:
      return Plan(s, type, bhttp::verb::get, "/v1/rating");
    case CallType::kRegisterItemForSale: {
      if (s.items.size() < static_cast<size_t>(c.max_items_per_seller)) {
        return PlanNewItem(s, kNewItemUnits);
      }
      // Equal in every field, so it merges: a restock, and the seller's
      // list (which DisplayItemsForSale pages through) stops growing.
      PlannedCall call = Plan(s, type, bhttp::verb::post, "/v1/items", 201);
      call.item = s.rng.Below(static_cast<uint32_t>(s.items.size()));
      call.value = kRestockUnits;
      AppendRegisterBody(s.body, s.items[call.item], kRestockUnits);
      return call;
    }
    case CallType::kChangeItemPrice: {
      PlannedCall call = Plan(s, type, bhttp::verb::patch, "/v1/items/");
      call.item = s.rng.Below(static_cast<uint32_t>(s.items.size()));
      call.value = 100 + s.rng.Below(9900);
      s.target.append(s.items[call.item].id);
      s.body.assign(R"({"price":)");
      AppendPrice(s.body, call.value);
      s.body.append("}");
      return call;
    }
    case CallType::kUpdateUnitsForSale: {
      PlannedCall call = Plan(s, type, bhttp::verb::delete_, "/v1/items/");
      call.item = s.rng.Below(static_cast<uint32_t>(s.items.size()));
      s.target.append(s.items[call.item].id).append("?quantity=1");
      return call;
    }
    default:
      return Plan(s, CallType::kDisplayItemsForSale, bhttp::verb::get, "/v1/items");
  }
}

PlannedCall PlanSearch(const WorkloadContext& c, Session& s) {
  PlannedCall call =
      Plan(s, CallType::kSearchItemsForSale, bhttp::verb::get, "/v1/items?category=");
  AppendInt(s.target, 1 + s.rng.Below(kCategories));
  uint32_t first = s.rng.Below(kWordCount);
  s.target.append("&keywords=").append(kWords[first]);
  if (s.rng.Below(2) == 0) {
    // Keywords of a query must be distinct.
    uint32_t second = (first + 1 + s.rng.Below(kWordCount - 1)) % kWordCount;
    s.target.append(",").append(kWords[second]);
  }
  s.target.append("&limit=");
  AppendInt(s.target, c.search_limit);
  return call;
}

PlannedCall PlanGetItem(const WorkloadContext& c, Session& s) {
  PlannedCall call = Plan(s, CallType::kGetItem, bhttp::verb::get, "/v1/items/");
  s.target.append(c.pool[s.rng.Below(static_cast<uint32_t>(c.pool.size()))]);
  return call;
}

PlannedCall NextBuyerCall(const WorkloadContext& c, Session& s) {
  CallType type = Pick(c.workload == Workload::kRead ? std::span<const Weighted>(kBuyerRead)
                                                     : std::span<const Weighted>(kBuyerMixed),
                       s.rng);
  if ((type == CallType::kRemoveItemFromCart || type == CallType::kMakePurchase) &&
      s.cart.empty()) {
    type = CallType::kAddItemToCart;
  }
  if (type == CallType::kAddItemToCart && s.cart.size() >= kMaxCartLines) {
    type = CallType::kRemoveItemFromCart;
  }
  if (type == CallType::kProvideFeedback && s.unvoted.empty()) type = CallType::kGetItem;
  switch (type) {
    case CallType::kSearchItemsForSale:
      return PlanSearch(c, s);
    case CallType::kDisplayCart:
      return Plan(s, type, bhttp::verb::get, "/v1/cart");
    case CallType::kGetBuyerPurchases:
      return Plan(s, type, bhttp::verb::get, "/v1/purchases");
    case CallType::kAddItemToCart:
      return PlanAddToCart(c, s);
    case CallType::kRemoveItemFromCart: {
      PlannedCall call = Plan(s, type, bhttp::verb::delete_, "/v1/cart/items/");
      call.item = s.cart[s.rng.Below(static_cast<uint32_t>(s.cart.size()))].item;
      s.target.append(c.pool[call.item]);
      return call;
    }
    case CallType::kSaveCart:
      return Plan(s, type, bhttp::verb::post, "/v1/cart/save", 204);
    case CallType::kMakePurchase: {
      PlannedCall call = Plan(s, type, bhttp::verb::post, "/v1/purchases", 201);
      s.body.assign(c.purchase_body);
      return call;
    }
    case CallType::kProvideFeedback: {
      // Taken off the list now, so that even a failed vote is never sent
      // twice (a second one would be 409 already_rated).
      PlannedCall call = Plan(s, type, bhttp::verb::post, "/v1/feedback", 204);
      call.item = s.unvoted.back();
      s.unvoted.pop_back();
      call.value = s.rng.Below(4) == 0 ? 0 : 1;
      s.body.assign(R"({"item_id":")").append(c.pool[call.item]);
      s.body.append(call.value == 0 ? R"(","vote":"down"})" : R"(","vote":"up"})");
      return call;
    }
    default:
      return PlanGetItem(c, s);
  }
}

std::string Describe(std::span<const Weighted> mix) {
  uint32_t total = 0;
  for (const Weighted& w : mix) total += w.weight;
  std::string out;
  for (const Weighted& w : mix) {
    if (!out.empty()) out += ", ";
    out += std::string(CallName(w.type)) + " " + std::to_string(w.weight * 100 / total) + "%";
  }
  return out;
}

}  // namespace

std::string MixDescription(Workload w) {
  bool read = w == Workload::kRead;
  return "seller: " + Describe(read ? std::span<const Weighted>(kSellerRead) : kSellerMixed) +
         "; buyer: " + Describe(read ? std::span<const Weighted>(kBuyerRead) : kBuyerMixed);
}

void AppendPrice(std::string& out, int64_t cents) {
  AppendInt(out, cents / 100);
  out.push_back('.');
  out.push_back(static_cast<char>('0' + cents % 100 / 10));
  out.push_back(static_cast<char>('0' + cents % 10));
}

PlannedCall PlanNewItem(Session& s, int64_t quantity) {
  int n = s.items_created;
  OwnItem item;
  item.name = "Bench item " + std::to_string(n);
  item.category = 1 + n % kCategories;
  std::string_view a = kWords[static_cast<uint32_t>(n) % kWordCount];
  std::string_view b = kWords[(static_cast<uint32_t>(n) * 7 + 3) % kWordCount];
  item.keywords_json = "[\"" + std::string(a) + "\"";
  if (b != a) item.keywords_json += ",\"" + std::string(b) + "\"";
  item.keywords_json += "]";
  item.price_cents = 100 + (n * 137 + s.index * 31) % 9900;
  PlannedCall call = Plan(s, CallType::kRegisterItemForSale, bhttp::verb::post, "/v1/items", 201);
  call.new_item = true;
  call.value = quantity;
  AppendRegisterBody(s.body, item, quantity);
  s.items.push_back(std::move(item));  // its id comes with the reply
  ++s.items_created;
  call.item = static_cast<uint32_t>(s.items.size() - 1);
  return call;
}

PlannedCall PlanAddToCart(const WorkloadContext& c, Session& s) {
  // Buyers walk the pool from a random start, so they buy items they have
  // not bought before and have new ones to vote on.
  PlannedCall call = Plan(s, CallType::kAddItemToCart, bhttp::verb::post, "/v1/cart/items");
  call.item = s.next_pick;
  s.next_pick = (s.next_pick + 1) % static_cast<uint32_t>(c.pool.size());
  s.body.assign(R"({"item_id":")").append(c.pool[call.item]).append(R"(","quantity":1})");
  return call;
}

PlannedCall NextCall(const WorkloadContext& context, Session& session) {
  return session.role == Role::kSeller ? NextSellerCall(context, session)
                                       : NextBuyerCall(context, session);
}

PlannedCall NextResilientCall(const WorkloadContext& c, Session& s) {
  if (!s.purchase_key.empty()) {
    PlannedCall call = Plan(s, CallType::kMakePurchase, bhttp::verb::post, "/v1/purchases", 201);
    s.body.assign(c.purchase_body);
    call.retry = true;
    return call;
  }
  if (s.sync_cart) {
    PlannedCall call = Plan(s, CallType::kDisplayCart, bhttp::verb::get, "/v1/cart");
    call.sync = true;
    return call;
  }
  if (s.sync_items) {
    // The largest page: the list is paged (50 by default), and a sync
    // should see as many of the seller's items as one call can.
    PlannedCall call =
        Plan(s, CallType::kDisplayItemsForSale, bhttp::verb::get, "/v1/items?limit=500");
    call.sync = true;
    return call;
  }
  PlannedCall call = NextCall(c, s);
  if (call.type == CallType::kMakePurchase) {
    // Unique to the user, so a repeat names the same purchase and no other.
    s.purchase_key = s.username + "-" + std::to_string(++s.purchases_started);
  }
  return call;
}

namespace {

int64_t Cents(const boost::json::value& price) {
  return static_cast<int64_t>(std::llround(price.to_number<double>() * 100));
}

}  // namespace

StatusOr<std::vector<std::string>> SyncFromReply(const WorkloadContext& c, Session& s,
                                                 std::string_view reply_body) {
  namespace json = boost::json;
  std::vector<std::string> found;
  try {
    json::value reply = json::parse(reply_body);
    const json::array& items = reply.at("items").as_array();
    if (s.role == Role::kBuyer) {
      std::vector<CartLine> cart;
      for (const json::value& v : items) {
        auto it = c.pool_index.find(std::string(v.at("item_id").as_string()));
        // Buyers only ever add pool items.
        if (it == c.pool_index.end()) return Internal("cart holds an item not in the pool");
        cart.push_back({it->second, v.at("quantity").to_number<int64_t>()});
      }
      s.cart = std::move(cart);
      s.sync_cart = false;
      return found;
    }
    std::vector<OwnItem> own;
    for (const json::value& v : items) {
      OwnItem item;
      item.id = std::string(v.at("id").as_string());
      item.name = std::string(v.at("name").as_string());
      item.category = v.at("category").to_number<int64_t>();
      item.keywords_json = json::serialize(v.at("keywords"));
      item.price_cents = Cents(v.at("price"));
      bool known = std::any_of(s.items.begin(), s.items.end(),
                               [&](const OwnItem& o) { return o.id == item.id; });
      if (!known) found.push_back(item.id);
      own.push_back(std::move(item));
    }
    s.items = std::move(own);
    s.sync_items = false;
    return found;
  } catch (const std::exception& e) {
    return Internal(std::string("cannot read the reply: ") + e.what());
  }
}

void OnSuccess(const WorkloadContext&, Session& s, const PlannedCall& call,
               std::string_view reply_body) {
  switch (call.type) {
    case CallType::kRegisterItemForSale:
      if (call.new_item) {
        boost::system::error_code ec;
        boost::json::value reply = boost::json::parse(reply_body, ec);
        const boost::json::value* id =
            ec || !reply.is_object() ? nullptr : reply.get_object().if_contains("item_id");
        if (id == nullptr || !id->is_string()) return OnFailure(s, call);
        s.items[call.item].id = std::string(id->get_string());
      }
      break;
    case CallType::kChangeItemPrice:
      s.items[call.item].price_cents = call.value;
      break;
    case CallType::kAddItemToCart: {
      for (CartLine& line : s.cart) {
        if (line.item == call.item) return void(++line.quantity);
      }
      s.cart.push_back({call.item, 1});
      break;
    }
    case CallType::kRemoveItemFromCart:
      std::erase_if(s.cart, [&](const CartLine& l) { return l.item == call.item; });
      break;
    case CallType::kMakePurchase:
      for (const CartLine& line : s.cart) {
        if (!s.bought[line.item]) {
          s.bought[line.item] = true;
          s.unvoted.push_back(line.item);
        }
      }
      s.cart.clear();
      break;
    default:
      break;
  }
}

void OnFailure(Session& s, const PlannedCall& call) {
  if (call.type == CallType::kRegisterItemForSale && call.new_item) {
    s.items.erase(s.items.begin() + call.item);
  }
}

}  // namespace mp::bench
