#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "common/types.h"

namespace mp::client {

// Human renderings of API replies (docs/contract.md §4 shapes). They never fail: a
// missing field prints empty and an odd amount prints as sent, so a reply a
// bit off the contract still shows. Money is exact (integer cents).

// One item as "label: value" lines.
std::string RenderItem(const boost::json::value& item);

struct ItemTableOptions {
  bool seller_column = true;  // the seller's own list leaves it out
  bool score_column = false;  // search with keywords
};
// `items` as a table, or "(no items)".
std::string RenderItemTable(const boost::json::value& items, ItemTableOptions options);

// {"up","down"} -> "feedback: 3 up, 1 down".
std::string RenderRating(const boost::json::value& rating);

// A cart {"items":[...],"total"}; lines whose `available` fell under the
// cart's quantity are marked '!' and explained below the table.
std::string RenderCart(const boost::json::value& cart);

// A purchase {"purchase_id","items","total"}. `card_last4` (the last four
// digits, never more) names the card that was charged.
std::string RenderPurchase(const boost::json::value& purchase, const std::string& card_last4);

// {"purchases":[{purchase_id,item_id,quantity,price,time}]} with a subtotal
// per line and the grand total.
std::string RenderHistory(const boost::json::value& history);

// price * quantity, or nullopt when either is missing or it overflows.
std::optional<Money> LineTotal(const boost::json::value& line);

// A time from the API: a string as it is; a number of seconds (or, above
// 10^11, milliseconds) since the epoch as "YYYY-MM-DD HH:MM:SSZ".
std::string TimeText(const boost::json::value& time);

}  // namespace mp::client
