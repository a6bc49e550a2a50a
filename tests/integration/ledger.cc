#include "ledger.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "audit/audit.h"
#include "common/password.h"

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
  return ReadLedger(stack.db(Component::kCustomerDb), stack.db(Component::kProductDb),
                    stack.db(Component::kPayment));
}

StatusOr<Ledger> ReadLedger(storage::Database& customers, storage::Database& products,
                            storage::Database& payments) {
  Ledger l;
  MP_RETURN_IF_ERROR(customers.Read([&](Connection& conn) -> Status {
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
  MP_RETURN_IF_ERROR(payments.Read([&](Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(Rows charges, conn.Query(kCharges));
    for (const auto& r : charges) l.charges[r.Text(0)] = {r.Int(1) != 0, r.Text(2), r.Int(3)};
    return Status();
  }));
  MP_RETURN_IF_ERROR(products.Read([&](Connection& conn) -> Status {
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
  MP_ASSIGN_OR_RETURN(audit::AuditReport report,
                      audit::Audit(customers, products, payments, at_rest));
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

std::pair<int, std::string> RunAuditCommand(ProcessStack& stack, storage::Engine engine) {
  namespace fs = std::filesystem;
  // Where each service keeps its data: the SQLite file, or the PostgreSQL
  // schema of its TestDatabase.
  std::map<Component, std::string> where;
  for (Component c : {Component::kCustomerDb, Component::kProductDb, Component::kPayment}) {
    Status s = stack.db(c).Read([&](storage::Connection& conn) -> Status {
      MP_ASSIGN_OR_RETURN(
          storage::Rows rows,
          conn.Query(storage::Sql{"PRAGMA database_list", "SELECT 0, 'main', current_schema()"}));
      if (rows.empty()) return Internal("no database listed");
      where[c] = rows[0].Text(2);
      return Status();
    });
    if (!s.ok()) return {-1, s.ToString()};
  }
  std::string target;
  fs::path dir = fs::temp_directory_path() / ("mp-check-audit-" + RandomToken().substr(0, 12));
  if (engine == storage::Engine::kSqlite) {
    // The layout of `marketplace up --data-dir`; SQLite follows the links
    // to find each file's WAL.
    fs::create_directories(dir);
    fs::create_symlink(where[Component::kCustomerDb], dir / "customer.db");
    fs::create_symlink(where[Component::kProductDb], dir / "product.db");
    fs::create_symlink(where[Component::kPayment], dir / "payment.db");
    target = "--data-dir " + dir.string();
  } else {
    // One URL for the three: the tables of the services have distinct
    // names, so a search path over the three schemas shows all of them.
    std::string base = std::getenv("MP_TEST_PG_URI");
    char sep = base.find('?') == std::string::npos ? '?' : '&';
    target = "--db-url '" + base + sep + "options=-csearch_path%3D" +
             where[Component::kCustomerDb] + "%2C" + where[Component::kProductDb] + "%2C" +
             where[Component::kPayment] + "'";
  }
  std::string command = std::string(std::getenv("MP_TEST_BIN_DIR")) + "/marketplace audit " +
                        target + " --in-flight 0 --pending-bound 0 2>&1";
  std::pair<int, std::string> out{-1, ""};
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.second.append(buf, n);
    int status = pclose(pipe);
    out.first = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return out;
}

}  // namespace mp::integration
