#pragma once
// What the product database holds, as the product repository takes and
// answers it: plain values, independent of the wire (the product DB service
// converts them to and from its messages, src/product_db/product_proto.h).

#include <cstdint>
#include <string>
#include <vector>

#include "common/types.h"

namespace mp::storage {

// Stored as these numbers (items.item_condition).
enum class Condition : int64_t { kNew = 1, kUsed = 2 };

struct Feedback {
  int64_t up = 0;
  int64_t down = 0;
  bool operator==(const Feedback&) const = default;
};

struct Item {
  ItemId id;
  std::string name;
  int64_t category = 0;
  std::vector<std::string> keywords = {};  // lower case, sorted, distinct
  Condition condition = Condition::kNew;
  int64_t price_cents = 0;
  int64_t quantity = 0;  // units still for sale
  Feedback feedback;
  SellerId seller_id;
  bool operator==(const Item&) const = default;
};

// An item to register: what a seller gives (keywords normalized).
struct NewItem {
  SellerId seller_id;
  std::string name;
  int64_t category = 0;
  std::vector<std::string> keywords = {};
  Condition condition = Condition::kNew;
  int64_t price_cents = 0;
  int64_t quantity = 0;
};

// A search hit: the item and how many of the searched keywords it has.
struct ScoredItem {
  Item item;
  int score = 0;
};

// Units of an item, as a purchase asks for them.
struct StockLine {
  ItemId item_id;
  int64_t quantity = 0;
};

// Units a purchase holds, with what the buyer pays and whom.
struct TakenLine {
  ItemId item_id;
  int64_t quantity = 0;
  int64_t price_cents = 0;
  SellerId seller_id;
  std::string name;
  bool operator==(const TakenLine&) const = default;
};

}  // namespace mp::storage
