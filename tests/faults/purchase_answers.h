// The purchase answers of the randomized concurrency checker
// (concurrency_check_test.cc) and the rules they must follow
// (docs/purchases.md, "Concurrency"): what a client saw, and the check of
// it against the ledger and the buyers' histories at rest.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fault_check.h"
#include "ledger.h"
#include "process_stack.h"
#include "shop.h"

namespace mp::faults {

// A buyer's purchase history: lines per purchase id.
using History = std::map<std::string, Cart>;

// An outcome the client cannot know: no reply, 503, 504.
bool Unknown(int status);
// A price as the REST API writes it, and back to cents (-1: not a price).
boost::json::value PriceValue(int64_t cents);
int64_t Cents(const boost::json::value& v);
// Units of `item` in `cart`, 0 when absent.
int64_t Get(const Cart& cart, const std::string& item);
// Lines of a JSON array of {item_id, quantity}; false when malformed.
bool ParseLines(const boost::json::value* list, Cart& out);

// One answer to POST /v1/purchases.
struct Answer {
  int status = 0;
  std::string code;  // error.code
  std::string key;   // the Idempotency-Key sent, or ""
  std::string purchase_id;
  Cart lines;
  int64_t total = -1;
  std::string body;
};

Answer ToAnswer(const integration::HttpResult& r, const std::string& key);
// An answer a request with the same key must get again: the attempt has
// finished (400 cart_empty is not one: no attempt was made).
bool Final(const Answer& a);
std::string Outcome(const Answer& a);
// The answers a purchase may get, duplicate or not.
bool Allowed(const Answer& a);

// 1-4 purchases of one cart sent at the same moment, or one retry of an
// earlier key, and what the client knew before.
struct Burst {
  enum class Mode { kNoKey, kSharedKey, kMixed };
  enum class Edit { kNone, kAdd, kRemove, kClear };
  int number = 0;
  bool retry = false;
  Mode mode = Mode::kNoKey;
  std::string key;
  bool cart_known = false;
  Cart cart_before;  // GET /v1/cart just before
  // No earlier purchase of this buyer can still be pending, so the burst
  // buys exactly `cart_before` (when no edit runs beside it).
  bool settled_before = false;
  Edit edit = Edit::kNone;
  std::string edit_item;
  int64_t edit_units = 0;
  int edit_status = -1;
  std::vector<Answer> answers;
};

// What one buyer client did.
struct ClientLog {
  integration::Buyer buyer;
  std::vector<Burst> bursts;
  std::vector<JournalEntry> votes;
  Cart added;  // units of acknowledged or unknown adds, per item
  std::vector<std::string> bad;
  int64_t ops = 0;
};

// Every way the clients' answers break the purchase rules, checked against
// the ledger at rest and each client's history (`histories[i]` for
// `clients[i]`; nullopt when it could not be read). Empty when they hold.
std::vector<std::string> CheckPurchases(const std::vector<ClientLog>& clients,
                                        const integration::Ledger& ledger,
                                        const std::vector<std::optional<History>>& histories);

}  // namespace mp::faults
