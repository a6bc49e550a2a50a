#include "ledger.h"

#include "audit/audit.h"

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
  // The stack is at rest when a test reads its ledger: every attempt should
  // be settled, and none is still on its way between the databases.
  audit::AuditOptions at_rest;
  at_rest.pending_bound = std::chrono::milliseconds(0);
  at_rest.in_flight = std::chrono::milliseconds(0);
  MP_ASSIGN_OR_RETURN(
      audit::AuditReport report,
      audit::Audit(stack.db(Component::kCustomerDb), stack.db(Component::kProductDb),
                   stack.db(Component::kPayment), at_rest));
  for (const audit::Violation& v : report.violations) l.audit.push_back(v.ToString());
  return l;
}

std::vector<std::string> CheckInvariants(const Ledger& l,
                                         const std::map<std::string, int64_t>& put_up) {
  std::vector<std::string> bad = l.audit;
  for (const auto& [item, put] : put_up) {
    auto it = l.stock.find(item);
    int64_t left = it == l.stock.end() ? -1 : it->second;
    if (left + l.UnitsSold(item) != put) {
      bad.push_back("item " + item + ": " + std::to_string(left) + " for sale + " +
                    std::to_string(l.UnitsSold(item)) + " sold != " + std::to_string(put));
    }
  }
  return bad;
}

}  // namespace mp::integration
