#include "ledger.h"

namespace mp::integration {
namespace {

using storage::Connection;
using storage::Rows;
using storage::Sql;

// Test-only inspection: read-only, over the schema in deploy/sql.
const Sql kAttempts{
    "SELECT purchase_id, buyer_id, state, failure_reason, total_cents FROM "
    "purchase_attempts"};
const Sql kLines{
    "SELECT purchase_id, buyer_id, item_id, seller_id, quantity, price_cents "
    "FROM purchase_lines"};
const Sql kUnits{"SELECT id, units FROM accounts"};
const Sql kCharges{"SELECT transaction_id, approved, reason, amount_cents FROM charges"};
const Sql kTakes{
    "SELECT t.purchase_id, i.category, t.item_id, t.quantity, t.state "
    "FROM stock_takes t JOIN items i ON i.id = t.item_id"};
const Sql kStock{"SELECT category, id, quantity FROM items"};

std::string ItemKey(int64_t category, int64_t number) {
  return std::to_string(category) + "-" + std::to_string(number);
}

}  // namespace

int Ledger::ApprovedCharges() const {
  int n = 0;
  for (const auto& [id, c] : charges) n += c.approved;
  return n;
}

int Ledger::CompletedAttempts() const {
  int n = 0;
  for (const auto& [id, a] : attempts) n += a.state == 2;
  return n;
}

int64_t Ledger::UnitsSold(const std::string& item_id) const {
  int64_t n = 0;
  for (const Line& l : lines) n += l.item_id == item_id ? l.quantity : 0;
  return n;
}

StatusOr<Ledger> ReadLedger(ProcessStack& stack) {
  Ledger l;
  MP_RETURN_IF_ERROR(stack.db(Component::kCustomerDb).Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows attempts, conn.Query(kAttempts));
    for (const auto& r : attempts) {
      l.attempts[r.Text(0)] = {r.Int(1), static_cast<int>(r.Int(2)), r.Text(3), r.Int(4)};
    }
    MP_ASSIGN_OR_RETURN(Rows lines, conn.Query(kLines));
    for (const auto& r : lines) {
      l.lines.push_back({r.Text(0), r.Int(1), r.Text(2), r.Int(3), r.Int(4), r.Int(5)});
    }
    MP_ASSIGN_OR_RETURN(Rows units, conn.Query(kUnits));
    for (const auto& r : units) l.units[r.Int(0)] = r.Int(1);
    return Status();
  }));
  MP_RETURN_IF_ERROR(stack.db(Component::kPayment).Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows charges, conn.Query(kCharges));
    for (const auto& r : charges) l.charges[r.Text(0)] = {r.Int(1) != 0, r.Text(2), r.Int(3)};
    return Status();
  }));
  MP_RETURN_IF_ERROR(stack.db(Component::kProductDb).Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows takes, conn.Query(kTakes));
    for (const auto& r : takes) {
      l.takes.push_back(
          {r.Text(0), ItemKey(r.Int(1), r.Int(2)), r.Int(3), static_cast<int>(r.Int(4))});
    }
    MP_ASSIGN_OR_RETURN(Rows stock, conn.Query(kStock));
    for (const auto& r : stock) l.stock[ItemKey(r.Int(0), r.Int(1))] = r.Int(2);
    return Status();
  }));
  return l;
}

std::vector<std::string> CheckInvariants(const Ledger& l,
                                         const std::map<std::string, int64_t>& put_up) {
  std::vector<std::string> bad;
  auto state_of = [&](const std::string& id) {
    auto it = l.attempts.find(id);
    return it == l.attempts.end() ? 0 : it->second.state;
  };
  std::map<std::string, int64_t> recorded_total;  // purchase id -> sum of its lines
  std::map<int64_t, int64_t> units;               // account -> units the lines give it
  for (const auto& line : l.lines) {
    recorded_total[line.purchase_id] += line.quantity * line.price_cents;
    units[line.seller_id] += line.quantity;
    units[line.buyer_id] += line.quantity;
    if (state_of(line.purchase_id) != 2) {
      bad.push_back("purchase line of " + line.purchase_id + " whose attempt is not completed");
    }
  }
  for (const auto& [item, put] : put_up) {
    auto it = l.stock.find(item);
    int64_t left = it == l.stock.end() ? -1 : it->second;
    if (left + l.UnitsSold(item) != put) {
      bad.push_back("item " + item + ": " + std::to_string(left) + " for sale + " +
                    std::to_string(l.UnitsSold(item)) + " sold != " + std::to_string(put));
    }
  }
  for (const auto& [id, charge] : l.charges) {
    if (!charge.approved) continue;
    auto it = l.attempts.find(id);
    if (it == l.attempts.end() || it->second.state != 2) {
      bad.push_back("approved charge " + id + " without a completed purchase");
    } else if (it->second.total_cents != charge.amount_cents ||
               recorded_total[id] != charge.amount_cents) {
      bad.push_back("approved charge " + id + " of " + std::to_string(charge.amount_cents) +
                    " but purchase total " + std::to_string(it->second.total_cents));
    }
  }
  for (const auto& [id, a] : l.attempts) {
    auto charge = l.charges.find(id);
    bool approved = charge != l.charges.end() && charge->second.approved;
    if (a.state == 1) bad.push_back("purchase " + id + " still pending");
    if (a.state == 2 && !approved) bad.push_back("completed purchase " + id + " not charged");
    if (a.state == 2 && recorded_total.count(id) == 0) {
      bad.push_back("completed purchase " + id + " without lines");
    }
    if (a.state == 3 && approved) bad.push_back("failed purchase " + id + " was charged");
  }
  for (const auto& take : l.takes) {
    // Stock stays out of sale only for a purchase that was recorded.
    if (take.state != 2 && state_of(take.purchase_id) != 2) {
      bad.push_back("stock of " + take.item_id + " held for unrecorded purchase " +
                    take.purchase_id);
    }
    if (take.state == 2 && state_of(take.purchase_id) == 2) {
      bad.push_back("stock of completed purchase " + take.purchase_id + " was given back");
    }
  }
  for (const auto& [account, n] : l.units) {
    if (n != units[account]) {
      bad.push_back("account " + std::to_string(account) + " has " + std::to_string(n) +
                    " units, its purchase lines say " + std::to_string(units[account]));
    }
  }
  return bad;
}

}  // namespace mp::integration
