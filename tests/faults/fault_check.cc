#include "fault_check.h"

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <thread>

#include "bench/workload.h"
#include "common/password.h"
#include "launcher/http_probe.h"

namespace mp::faults {
namespace {

namespace json = boost::json;
using integration::Component;
using integration::Ledger;
using storage::Connection;
using storage::Rows;
using storage::Sql;

// Test-only inspection: read-only, over the schema in deploy/sql.
const Sql kItems{"SELECT category, id, seller_id, price_cents, quantity, up, down FROM items"};
const Sql kVotes{
    "SELECT v.buyer_id, i.category, v.item_id, v.up FROM votes v JOIN items i ON i.id = "
    "v.item_id"};
const Sql kRatings{"SELECT seller_id, up, down FROM seller_ratings"};
const Sql kCarts{
    "SELECT s.user_id, c.item_id, c.quantity FROM cart_lines c JOIN sessions s ON s.id = "
    "c.session_id"};
const Sql kSavedCarts{"SELECT buyer_id, item_id, quantity FROM saved_cart_lines"};

std::string ItemKey(int64_t category, int64_t number) {
  return std::to_string(category) + "-" + std::to_string(number);
}

JournalEntry EntryFrom(const json::object& o) {
  JournalEntry e;
  auto integer = [&](std::string_view name, int64_t& out) {
    if (const json::value* v = o.if_contains(name); v && v->is_number()) {
      out = v->to_number<int64_t>();
      return true;
    }
    return false;
  };
  auto text = [&](std::string_view name, std::string& out) {
    if (const json::value* v = o.if_contains(name); v && v->is_string()) out = v->as_string();
  };
  auto flag = [&](std::string_view name, bool& out) {
    if (const json::value* v = o.if_contains(name); v && v->is_bool()) out = v->as_bool();
  };
  auto units_map = [&](std::string_view name, Cart& out) {
    const json::value* v = o.if_contains(name);
    if (v == nullptr || !v->is_object()) return false;
    for (const auto& [k, n] : v->as_object()) out[std::string(k)] = n.to_number<int64_t>();
    return true;
  };
  integer("t", e.t);
  integer("end", e.end);
  text("client", e.client);
  integer("user", e.user);
  text("call", e.call);
  int64_t status = 0;
  integer("status", status);
  e.status = static_cast<int>(status);
  text("result", e.result);
  text("item", e.item);
  e.has_units = integer("units", e.units);
  e.has_price = integer("price", e.price);
  flag("new", e.is_new);
  text("key", e.key);
  flag("retry", e.retry);
  e.has_cart = units_map("cart", e.cart);
  text("purchase_id", e.purchase_id);
  integer("total", e.total);
  text("vote", e.vote);
  units_map("prices", e.prices);
  flag("exact", e.exact);
  return e;
}

// Item checks: units, count of items per seller, prices.
void CheckItems(const std::vector<JournalEntry>& journal, const Ledger& ledger, const Shelf& shelf,
                int seed_items_per_seller, std::vector<std::string>& bad) {
  struct Units {
    int64_t acked = 0;         // by writes that were answered
    int64_t unknown_plus = 0;  // by writes of unknown outcome, at most
    int64_t unknown_minus = 0;
  };
  struct Seller {
    int ok_new = 0;
    int unknown_new = 0;
    int found = 0;
  };
  struct Price {
    bool known = false;
    std::set<int64_t> candidates;
  };
  std::map<std::string, Units> units;
  std::map<int64_t, Seller> sellers;
  std::map<std::string, Price> prices;
  auto owned = [&](const JournalEntry& e) {
    auto it = shelf.items.find(e.item);
    if (it == shelf.items.end()) {
      bad.push_back(e.call + " of " + e.client + " answered for item " + e.item +
                    ", which does not exist");
    } else if (it->second.seller_id != e.user) {
      bad.push_back(e.call + " of " + e.client + " on item " + e.item + " of another seller");
    }
  };
  for (const JournalEntry& e : journal) {
    bool ok = e.result == "ok";
    bool unknown = e.result == "unknown";
    if (e.call == "RegisterItemForSale") {
      if (ok || e.result == "found") owned(e);
      if (e.result == "found") ++sellers[e.user].found;
      if (e.is_new && ok) {
        ++sellers[e.user].ok_new;
        prices[e.item] = {true, {e.price}};
      } else if (e.is_new && unknown) {
        ++sellers[e.user].unknown_new;
      } else if (ok) {
        units[e.item].acked += e.units;  // a restock: merged into the item
      } else if (unknown) {
        units[e.item].unknown_plus += e.units;
      }
    } else if (e.call == "UpdateUnitsForSale") {
      if (ok) owned(e);
      if (ok) units[e.item].acked += e.units;
      if (unknown) units[e.item].unknown_minus -= e.units;
    } else if (e.call == "ChangeItemPrice") {
      if (ok) owned(e);
      Price& p = prices[e.item];
      if (ok) p = {true, {e.price}};
      if (unknown && p.known) p.candidates.insert(e.price);
    }
  }
  std::map<int64_t, int> items_of;
  for (const auto& [id, item] : shelf.items) {
    ++items_of[item.seller_id];
    // Every item starts with kNewItemUnits: set-up's, and the run's new ones.
    const Units& u = units[id];
    int64_t put_up = bench::kNewItemUnits + u.acked;
    int64_t held = item.quantity + ledger.UnitsSold(id);
    if (held < put_up - u.unknown_minus || held > put_up + u.unknown_plus) {
      bad.push_back("item " + id + ": " + std::to_string(item.quantity) + " for sale + " +
                    std::to_string(ledger.UnitsSold(id)) +
                    " sold, but acknowledged writes put up " + std::to_string(put_up) +
                    " (writes of unknown outcome: +" + std::to_string(u.unknown_plus) + " -" +
                    std::to_string(u.unknown_minus) + ")");
    }
    auto p = prices.find(id);
    if (p != prices.end() && p->second.known && !p->second.candidates.contains(item.price_cents)) {
      bad.push_back("item " + id + " costs " + std::to_string(item.price_cents) +
                    " cents, not its last acknowledged price " +
                    std::to_string(*p->second.candidates.begin()));
    }
  }
  for (const auto& [seller, n] : items_of) {
    const Seller& s = sellers[seller];
    int extra = n - seed_items_per_seller - s.ok_new;
    if (extra < s.found || extra > s.unknown_new) {
      bad.push_back("seller " + std::to_string(seller) + " has " + std::to_string(n) +
                    " items: " + std::to_string(seed_items_per_seller) + " from set-up, " +
                    std::to_string(s.ok_new) + " registered, " + std::to_string(s.unknown_new) +
                    " registrations of unknown outcome (" + std::to_string(s.found) +
                    " of them found)");
    }
  }
}

// Purchase checks: each key's outcome against the ledger.
void CheckPurchases(const std::vector<JournalEntry>& journal, const Ledger& ledger,
                    std::vector<std::string>& bad) {
  struct Purchase {
    int64_t user = 0;
    std::string key;
    const JournalEntry* ok = nullptr;
    const JournalEntry* last = nullptr;
  };
  std::map<std::pair<int64_t, std::string>, Purchase> purchases;
  for (const JournalEntry& e : journal) {
    if (e.call != "MakePurchase" || e.key.empty()) continue;
    Purchase& p = purchases[{e.user, e.key}];
    p.user = e.user;
    p.key = e.key;
    if (e.result == "ok") p.ok = &e;
    p.last = &e;
  }
  std::map<std::string, Cart> lines;
  std::map<std::string, int64_t> line_totals;
  for (const Ledger::Line& l : ledger.lines) {
    lines[l.purchase_id][l.item_id] += l.quantity;
    line_totals[l.purchase_id] += l.quantity * l.price_cents;
  }
  std::map<std::string, Cart> taken;
  for (const Ledger::Take& t : ledger.takes) {
    if (t.state != 2) taken[t.purchase_id][t.item_id] += t.quantity;
  }
  for (const auto& [user_key, p] : purchases) {
    std::string id = DeriveId(std::to_string(p.user), p.key);
    std::string name = "purchase " + p.key + " (" + id + ")";
    auto attempt = ledger.attempts.find(id);
    int state = attempt == ledger.attempts.end() ? 0 : attempt->second.state;
    const std::string& result = p.last->result;
    if (p.ok != nullptr) {
      if (p.ok->purchase_id != id) {
        bad.push_back(name + " was answered with purchase id " + p.ok->purchase_id);
      }
      if (state != 2) {
        bad.push_back(name + " was answered 201 but its attempt is in state " +
                      std::to_string(state));
        continue;
      }
      if (attempt->second.total_cents != p.ok->total || line_totals[id] != p.ok->total) {
        bad.push_back(name + " was answered with total " + std::to_string(p.ok->total) +
                      ", its record says " + std::to_string(attempt->second.total_cents) +
                      " and its lines " + std::to_string(line_totals[id]));
      }
    } else if (result == "declined" || result == "interrupted") {
      std::string reason = result == "declined" ? "payment_declined" : "purchase_interrupted";
      if (state != 3 || attempt->second.failure_reason != reason || lines.contains(id)) {
        bad.push_back(name + " was answered " + result + " but its attempt is in state " +
                      std::to_string(state) + " (" +
                      (state ? attempt->second.failure_reason : std::string("none")) + ")");
      }
      continue;
    } else if (state != 2) {
      continue;  // never answered and not completed: nothing was bought
    }
    // Completed, answered or not: the lines are what the cart held.
    if (lines[id] != p.last->cart) {
      bad.push_back(name + " bought " + CartText(lines[id]) + " from a cart of " +
                    CartText(p.last->cart));
    }
  }
  for (const auto& [id, attempt] : ledger.attempts) {
    if (attempt.state == 2 && taken[id] != lines[id]) {
      bad.push_back("purchase " + id + " has lines " + CartText(lines[id]) + " but took stock " +
                    CartText(taken[id]));
    }
  }
}

void CheckVotes(const std::vector<JournalEntry>& journal, const Shelf& shelf,
                std::vector<std::string>& bad) {
  std::map<std::pair<int64_t, std::string>, const JournalEntry*> voted;
  for (const JournalEntry& e : journal) {
    if (e.call != "ProvideFeedback" || (e.result != "ok" && e.result != "unknown")) continue;
    voted[{e.user, e.item}] = &e;
    auto v = shelf.votes.find({e.user, e.item});
    if (v == shelf.votes.end()) {
      if (e.result == "ok") {
        bad.push_back("vote of buyer " + std::to_string(e.user) + " on " + e.item + " is lost");
      }
    } else if (v->second != (e.vote == "up")) {
      bad.push_back("vote of buyer " + std::to_string(e.user) + " on " + e.item + " is not " +
                    e.vote);
    }
  }
  std::map<std::string, std::pair<int64_t, int64_t>> per_item;
  for (const auto& [buyer_item, up] : shelf.votes) {
    if (!voted.contains(buyer_item)) {
      bad.push_back("vote of buyer " + std::to_string(buyer_item.first) + " on " +
                    buyer_item.second + " that no call made");
    }
    auto& [ups, downs] = per_item[buyer_item.second];
    (up ? ups : downs) += 1;
  }
  std::map<int64_t, std::pair<int64_t, int64_t>> per_seller;
  for (const auto& [id, item] : shelf.items) {
    auto [ups, downs] = per_item[id];
    if (item.up != ups || item.down != downs) {
      bad.push_back("item " + id + " has feedback " + std::to_string(item.up) + "/" +
                    std::to_string(item.down) + " but votes " + std::to_string(ups) + "/" +
                    std::to_string(downs));
    }
    per_seller[item.seller_id].first += item.up;
    per_seller[item.seller_id].second += item.down;
  }
  for (const auto& [seller, sum] : per_seller) {
    auto it = shelf.ratings.find(seller);
    std::pair<int64_t, int64_t> rating = it == shelf.ratings.end() ? std::pair{0L, 0L} : it->second;
    if (rating != sum) {
      bad.push_back("seller " + std::to_string(seller) + " has rating " +
                    std::to_string(rating.first) + "/" + std::to_string(rating.second) +
                    " but its items' feedback sums to " + std::to_string(sum.first) + "/" +
                    std::to_string(sum.second));
    }
  }
}

void CheckCarts(const std::vector<JournalEntry>& journal, const Shelf& shelf,
                std::vector<std::string>& bad) {
  struct Saved {
    bool known = false;
    std::set<Cart> candidates;
  };
  std::map<int64_t, Saved> saved;
  for (const JournalEntry& e : journal) {
    if (e.result == "final") {
      bool buyer = !e.client.empty() && e.client[0] == 'b';
      if (buyer && e.exact) {
        auto it = shelf.carts.find(e.user);
        Cart cart = it == shelf.carts.end() ? Cart{} : it->second;
        if (cart != e.cart) {
          bad.push_back("cart of " + e.client + " holds " + CartText(cart) + ", not " +
                        CartText(e.cart));
        }
      }
      if (!buyer && e.exact) {
        int n = 0;
        for (const auto& [id, item] : shelf.items) {
          if (item.seller_id != e.user) continue;
          ++n;
          auto price = e.prices.find(id);
          if (price == e.prices.end()) {
            bad.push_back("seller " + e.client + " does not know its item " + id);
          } else if (price->second != item.price_cents) {
            bad.push_back("item " + id + " costs " + std::to_string(item.price_cents) + ", " +
                          e.client + " set " + std::to_string(price->second));
          }
        }
        if (n != static_cast<int>(e.prices.size())) {
          bad.push_back("seller " + e.client + " knows " + std::to_string(e.prices.size()) +
                        " items, it has " + std::to_string(n));
        }
      }
      continue;
    }
    Saved& s = saved[e.user];
    if (e.call == "SaveCart" && e.result == "ok") s = {true, {e.cart}};
    if (e.call == "SaveCart" && e.result == "unknown" && s.known) s.candidates.insert(e.cart);
    // A completed purchase clears the saved cart too.
    if (e.call == "MakePurchase" && e.result == "ok") s = {true, {Cart{}}};
    if (e.call == "MakePurchase" && e.result == "unknown" && s.known) s.candidates.insert(Cart{});
  }
  for (const auto& [buyer, s] : saved) {
    if (!s.known) continue;
    auto it = shelf.saved_carts.find(buyer);
    Cart cart = it == shelf.saved_carts.end() ? Cart{} : it->second;
    if (!s.candidates.contains(cart)) {
      bad.push_back("saved cart of buyer " + std::to_string(buyer) + " holds " + CartText(cart) +
                    ", not the last one saved");
    }
  }
}

}  // namespace

std::string CartText(const Cart& cart) {
  std::string out = "{";
  for (const auto& [item, units] : cart) {
    if (out.size() > 1) out += ", ";
    out.append(item).append(": ").append(std::to_string(units));
  }
  return out + "}";
}

StatusOr<std::vector<JournalEntry>> ReadJournal(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path);
  std::vector<JournalEntry> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) {
      return InvalidArgument("journal", path + ":" + std::to_string(n) + " is not a JSON object");
    }
    out.push_back(EntryFrom(v.as_object()));
  }
  return out;
}

StatusOr<Shelf> ReadShelf(integration::ProcessStack& stack) {
  return ReadShelf(stack.db(Component::kProductDb), stack.db(Component::kCustomerDb));
}

StatusOr<Shelf> ReadShelf(storage::Database& products, storage::Database& customers) {
  Shelf shelf;
  MP_RETURN_IF_ERROR(products.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows items, conn.Query(kItems));
    for (const auto& r : items) {
      shelf.items[ItemKey(r.Int(0), r.Int(1))] = {r.Int(2), r.Int(3), r.Int(4), r.Int(5), r.Int(6)};
    }
    MP_ASSIGN_OR_RETURN(Rows votes, conn.Query(kVotes));
    for (const auto& r : votes) shelf.votes[{r.Int(0), ItemKey(r.Int(1), r.Int(2))}] = r.Int(3);
    MP_ASSIGN_OR_RETURN(Rows ratings, conn.Query(kRatings));
    for (const auto& r : ratings) shelf.ratings[r.Int(0)] = {r.Int(1), r.Int(2)};
    return Status();
  }));
  MP_RETURN_IF_ERROR(customers.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows carts, conn.Query(kCarts));
    for (const auto& r : carts) shelf.carts[r.Int(0)][r.Text(1)] += r.Int(2);
    MP_ASSIGN_OR_RETURN(Rows saved, conn.Query(kSavedCarts));
    for (const auto& r : saved) shelf.saved_carts[r.Int(0)][r.Text(1)] += r.Int(2);
    return Status();
  }));
  return shelf;
}

std::vector<std::string> CheckJournal(const std::vector<JournalEntry>& journal,
                                      const Ledger& ledger, const Shelf& shelf,
                                      int seed_items_per_seller) {
  std::vector<std::string> bad;
  CheckItems(journal, ledger, shelf, seed_items_per_seller, bad);
  CheckPurchases(journal, ledger, bad);
  CheckVotes(journal, shelf, bad);
  CheckCarts(journal, shelf, bad);
  return bad;
}

Status WaitFrontendsHealthy(const integration::ProcessStack& stack, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Status last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = launcher::CheckHttpHealth(stack.address(Component::kSellerServer));
    if (last.ok()) last = launcher::CheckHttpHealth(stack.address(Component::kBuyerServer));
    if (last.ok()) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status(StatusCode::kDeadlineExceeded, "frontends not healthy: " + last.message());
}

std::vector<FaultEffect> MeasureFaults(const std::vector<JournalEntry>& journal,
                                       const std::vector<Fault>& faults) {
  std::vector<FaultEffect> out(faults.size());
  for (size_t k = 0; k < faults.size(); ++k) {
    int64_t from = faults[k].killed_ns;
    int64_t to = k + 1 < faults.size() ? faults[k + 1].killed_ns : INT64_MAX;
    FaultEffect& f = out[k];
    const JournalEntry* last = nullptr;
    int64_t first_end = INT64_MAX;
    for (const JournalEntry& e : journal) {
      if ((e.result != "unknown" && e.result != "not_sent") || e.end < from || e.end >= to) {
        continue;
      }
      ++f.failed_calls;
      ++f.by_status[e.status];
      first_end = std::min(first_end, e.end);
      if (last == nullptr || e.end > last->end) last = &e;
    }
    if (last == nullptr) continue;
    f.first_failure_s = static_cast<double>(first_end - from) / 1e9;
    f.last_failure_s = static_cast<double>(last->end - from) / 1e9;
    f.last_failed_call = last->call;
    int64_t served = last->end;
    for (const JournalEntry& e : journal) {
      if (e.result == "recovered" && e.call == last->call && e.end > last->end) {
        served = e.end;
        break;
      }
    }
    f.outage_s = static_cast<double>(served - from) / 1e9;
  }
  return out;
}

}  // namespace mp::faults
