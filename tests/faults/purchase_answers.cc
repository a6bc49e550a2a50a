#include "purchase_answers.h"

#include <cmath>
#include <set>

#include "common/password.h"

namespace mp::faults {

namespace json = boost::json;
using integration::HttpResult;

bool Unknown(int status) { return status == 0 || status == 503 || status == 504; }

json::value PriceValue(int64_t cents) {
  if (cents % 100 == 0) return json::value(cents / 100);
  return json::value(static_cast<double>(cents) / 100.0);
}

int64_t Cents(const json::value& v) {
  if (v.is_int64()) return v.as_int64() * 100;
  if (v.is_uint64()) return static_cast<int64_t>(v.as_uint64()) * 100;
  if (v.is_double()) return std::llround(v.as_double() * 100);
  return -1;
}

int64_t Get(const Cart& cart, const std::string& item) {
  auto it = cart.find(item);
  return it == cart.end() ? 0 : it->second;
}

bool ParseLines(const json::value* list, Cart& out) {
  if (list == nullptr || !list->is_array()) return false;
  for (const json::value& line : list->as_array()) {
    if (!line.is_object()) return false;
    const json::value* item = line.as_object().if_contains("item_id");
    const json::value* quantity = line.as_object().if_contains("quantity");
    if (item == nullptr || !item->is_string() || quantity == nullptr || !quantity->is_int64()) {
      return false;
    }
    out[std::string(item->as_string())] += quantity->as_int64();
  }
  return true;
}

Answer ToAnswer(const HttpResult& r, const std::string& key) {
  Answer a;
  a.status = r.status;
  a.code = r.error_code();
  a.key = key;
  a.body = r.body.substr(0, 300);
  json::value v = r.json();
  if (r.status == 201 && v.is_object()) {
    const json::object& o = v.as_object();
    if (const json::value* id = o.if_contains("purchase_id"); id && id->is_string()) {
      a.purchase_id = id->as_string();
    }
    if (!ParseLines(o.if_contains("items"), a.lines)) a.lines.clear();
    if (const json::value* total = o.if_contains("total")) a.total = Cents(*total);
  }
  return a;
}

bool Final(const Answer& a) {
  return a.status == 201 || a.status == 402 ||
         (a.status == 400 && a.code == "purchase_interrupted") ||
         (a.status == 409 && a.code == "insufficient_quantity");
}

std::string Outcome(const Answer& a) {
  std::string out = std::to_string(a.status) + " " + a.code;
  if (a.status == 201) {
    out += a.purchase_id + " total " + std::to_string(a.total) + " " + CartText(a.lines);
  }
  return out;
}

bool Allowed(const Answer& a) {
  if (Unknown(a.status)) return true;
  switch (a.status) {
    case 201:
      return !a.purchase_id.empty() && !a.lines.empty() && a.total >= 0;
    case 402:
      return a.code == "payment_declined";
    case 409:
      return a.code == "purchase_in_progress" || a.code == "insufficient_quantity";
    case 400:
      return a.code == "cart_empty" || a.code == "purchase_interrupted";
    default:
      return false;
  }
}

std::vector<std::string> CheckPurchases(const std::vector<ClientLog>& clients,
                                        const integration::Ledger& ledger,
                                        const std::vector<std::optional<History>>& histories) {
  std::vector<std::string> bad;
  std::map<std::string, Cart> lines;  // by purchase id
  std::map<int64_t, Cart> bought;     // by buyer
  for (const integration::Ledger::Line& l : ledger.lines) {
    lines[l.purchase_id][l.item_id] += l.quantity;
    if (ledger.attempts.contains(l.purchase_id) && ledger.attempts.at(l.purchase_id).state == 2) {
      bought[l.buyer_id][l.item_id] += l.quantity;
    }
  }
  for (size_t c = 0; c < clients.size(); ++c) {
    const ClientLog& log = clients[c];
    const int64_t buyer = log.buyer.id;
    // Every purchase the buyer's history lists (none when it could not be
    // read: the reader reported that).
    const bool history_read = histories[c].has_value();
    History history = history_read ? *histories[c] : History{};
    if (history_read) {
      for (const auto& [id, attempt] : ledger.attempts) {
        if (attempt.buyer_id != buyer || attempt.state != 2) continue;
        if (history[id] != lines[id]) {
          bad.push_back("buyer " + std::to_string(buyer) + ": purchase " + id + " lists " +
                        CartText(history[id]) + " but holds lines " + CartText(lines[id]));
        }
      }
    }

    std::map<std::string, std::string> final_of;  // key -> its first final outcome
    for (const Burst& b : log.bursts) {
      std::string where = "buyer " + std::to_string(buyer) + " burst " + std::to_string(b.number) +
                          (b.retry ? " (retry of " + b.key + ")" : "");
      std::set<std::string> ids;
      Cart burst_bought;
      // A key answered for good before this burst.
      const bool key_final_before = !b.key.empty() && final_of.contains(b.key);
      for (const Answer& a : b.answers) {
        if (!Allowed(a)) {
          bad.push_back(where + ": unexpected answer " + std::to_string(a.status) + " " + a.body);
          continue;
        }
        if (a.status == 201 && ids.insert(a.purchase_id).second) {
          for (const auto& [item, n] : a.lines) burst_bought[item] += n;
        }
        if (a.key.empty()) continue;
        if (a.status == 201 && a.purchase_id != DeriveId(std::to_string(buyer), a.key)) {
          bad.push_back(where + ": key " + a.key + " answered purchase " + a.purchase_id);
        }
        if (Final(a)) {
          auto [it, first] = final_of.emplace(a.key, Outcome(a));
          if (!first && it->second != Outcome(a)) {
            bad.push_back(where + ": key " + a.key + " answered " + Outcome(a) +
                          " after its first outcome " + it->second);
          }
        } else if (key_final_before && !Unknown(a.status)) {
          bad.push_back(where + ": key " + a.key + " answered " + Outcome(a) +
                        " instead of its first outcome " + final_of.at(b.key));
        }
      }
      if (b.retry) continue;
      // Only an add beside the burst can give a second purchase something to
      // buy: the first takes every unit it bought off the cart.
      const bool added =
          b.edit == Burst::Edit::kAdd && (b.edit_status == 200 || Unknown(b.edit_status));
      if (ids.size() > (added ? 2u : 1u)) {
        bad.push_back(where + ": the cart was bought " + std::to_string(ids.size()) + " times");
      }
      if (b.cart_known) {
        for (const auto& [item, n] : burst_bought) {
          int64_t could =
              Get(b.cart_before, item) + (added && item == b.edit_item ? b.edit_units : 0);
          if (n > could) {
            bad.push_back(where + ": bought " + std::to_string(n) + " of " + item +
                          " from a cart of " + CartText(b.cart_before) +
                          (added ? " plus the add beside it" : ""));
          }
        }
      }
      if (b.cart_known && b.settled_before && b.edit == Burst::Edit::kNone && ids.size() == 1 &&
          burst_bought != b.cart_before) {
        bad.push_back(where + ": bought " + CartText(burst_bought) + " from a cart of " +
                      CartText(b.cart_before));
      }
    }

    // Each 201 is recorded as answered, and in the buyer's history.
    for (const Burst& b : log.bursts) {
      for (const Answer& a : b.answers) {
        if (a.status == 201) {
          auto it = ledger.attempts.find(a.purchase_id);
          std::string what = "buyer " + std::to_string(buyer) + ": purchase " + a.purchase_id;
          if (it == ledger.attempts.end() || it->second.state != 2) {
            bad.push_back(what + " was answered 201 but is not completed");
            continue;
          }
          if (it->second.total_cents != a.total || lines[a.purchase_id] != a.lines) {
            bad.push_back(what + " was answered " + CartText(a.lines) + " for " +
                          std::to_string(a.total) + ", holds " + CartText(lines[a.purchase_id]) +
                          " for " + std::to_string(it->second.total_cents));
          }
          if (history_read && history[a.purchase_id] != a.lines) {
            bad.push_back(
                what + " is not in the history as answered: " + CartText(history[a.purchase_id]));
          }
        } else if (!a.key.empty() && Final(a)) {
          std::string id = DeriveId(std::to_string(buyer), a.key);
          auto it = ledger.attempts.find(id);
          if (it == ledger.attempts.end() || it->second.state != 3 ||
              it->second.failure_reason != a.code || lines.contains(id)) {
            bad.push_back("buyer " + std::to_string(buyer) + ": purchase " + id + " was answered " +
                          Outcome(a) + " but its attempt is " +
                          (it == ledger.attempts.end()
                               ? std::string("missing")
                               : "in state " + std::to_string(it->second.state) + " (" +
                                     it->second.failure_reason + ")"));
          }
        }
      }
    }
    // Across the run: units bought never exceed the units put in the cart.
    for (const auto& [item, n] : bought[buyer]) {
      if (n > Get(log.added, item)) {
        bad.push_back("buyer " + std::to_string(buyer) + " bought " + std::to_string(n) + " of " +
                      item + " but put at most " + std::to_string(Get(log.added, item)) +
                      " in its carts");
      }
    }
  }
  return bad;
}

}  // namespace mp::faults
