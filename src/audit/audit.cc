#include "audit/audit.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "common/clock.h"
#include "common/types.h"

namespace mp::audit {
namespace {

using storage::Connection;
using storage::Database;
using storage::Engine;
using storage::Row;
using storage::Sql;

// Read-only queries over the schema of deploy/sql. Each is one pass over a
// table (or an aggregate of one), never one query per item, account or
// purchase: a catalogue of a million items costs a few scans. The three
// databases may be separate SQLite files, so nothing joins across them:
// their aggregates meet in hash maps here.

// Product DB.
// Per take, not per item: whether its units count as sold, held or lost
// depends on its attempt, which lives in the customer DB.
const Sql kTakes{
    "SELECT t.purchase_id, t.item_id, i.category, t.quantity, t.state "
    "FROM stock_takes t LEFT JOIN items i ON i.id = t.item_id"};
// Only the items whose counts disagree with their votes come back.
const Sql kItemFeedbackMismatches{
    "SELECT i.category, i.id, i.up, i.down, COALESCE(v.up, 0), COALESCE(v.down, 0) "
    "FROM items i LEFT JOIN (SELECT item_id, "
    "CAST(SUM(CASE WHEN up <> 0 THEN 1 ELSE 0 END) AS BIGINT) AS up, "
    "CAST(SUM(CASE WHEN up <> 0 THEN 0 ELSE 1 END) AS BIGINT) AS down "
    "FROM votes GROUP BY item_id) v ON v.item_id = i.id "
    "WHERE i.up <> COALESCE(v.up, 0) OR i.down <> COALESCE(v.down, 0)"};
const Sql kFeedbackBySeller{
    "SELECT seller_id, CAST(SUM(up) AS BIGINT), CAST(SUM(down) AS BIGINT), COUNT(*) "
    "FROM items GROUP BY seller_id"};
const Sql kSellerRatings{"SELECT seller_id, up, down FROM seller_ratings"};

// Payment.
const Sql kApprovedCharges{"SELECT transaction_id, amount_cents FROM charges WHERE approved <> 0"};

// Customer DB.
const Sql kAttempts{
    "SELECT purchase_id, buyer_id, state, total_cents, created_ms, finished_ms "
    "FROM purchase_attempts"};
const Sql kLinesByPurchase{
    "SELECT purchase_id, COUNT(*), CAST(SUM(quantity * price_cents) AS BIGINT), "
    "MIN(buyer_id), MAX(buyer_id), CAST(SUM(quantity) AS BIGINT) FROM purchase_lines "
    "GROUP BY purchase_id"};
// Units in the lines of each item, leaving out the purchases whose stock
// takes are left out too (pending, or finished after the cut-off $1), so
// the two sides of the stock check count the same purchases.
const Sql kLinesByItem{
    "SELECT l.item_id, CAST(SUM(l.quantity) AS BIGINT) FROM purchase_lines l "
    "LEFT JOIN purchase_attempts a ON a.purchase_id = l.purchase_id "
    "WHERE a.purchase_id IS NULL OR (a.state <> 1 AND a.finished_ms < $1) GROUP BY l.item_id"};
const Sql kUnitsBySeller{
    "SELECT seller_id, CAST(SUM(quantity) AS BIGINT) FROM purchase_lines GROUP BY seller_id"};
const Sql kUnitsByBuyer{
    "SELECT buyer_id, CAST(SUM(quantity) AS BIGINT) FROM purchase_lines GROUP BY buyer_id"};
const Sql kAccounts{"SELECT id, role, units FROM accounts"};

const Sql kCustomerVersion{"SELECT version FROM customer_schema_version"};
const Sql kProductVersion{"SELECT version FROM product_schema_version"};
const Sql kPaymentVersion{"SELECT version FROM payment_schema_version"};

constexpr int kPending = 1;
constexpr int kCompleted = 2;
constexpr int kFailed = 3;
constexpr int kTaken = 1;
constexpr int kReleased = 2;
constexpr int kCommitted = 3;
constexpr int64_t kSellerRole = 1;
constexpr int64_t kBuyerRole = 2;

struct Attempt {
  int64_t buyer_id = 0;
  int state = 0;
  int64_t total_cents = 0;
  int64_t created_ms = 0;
  int64_t finished_ms = 0;
};

struct Lines {
  int64_t count = 0;
  int64_t value_cents = 0;
  int64_t min_buyer = 0;
  int64_t max_buyer = 0;
  int64_t units = 0;
};

struct Take {
  std::string purchase_id;
  std::string item;  // "<category>-<number>"
  int64_t quantity = 0;
  int state = 0;
};

struct Feedback {
  int64_t up = 0;
  int64_t down = 0;
};

// What each database gave, read in this order: product DB, payment, customer
// DB. A purchase reaches them in the order customer, product, payment,
// customer, so the customer DB, read last, knows the attempt of every take
// and charge seen before it.
struct Snapshot {
  std::vector<Take> takes;
  std::unordered_map<std::string, int64_t> charges;  // approved, by purchase id
  std::unordered_map<std::string, Attempt> attempts;
  std::unordered_map<std::string, Lines> lines;            // by purchase id
  std::unordered_map<std::string, int64_t> units_by_item;  // settled purchases only
  std::unordered_map<int64_t, int64_t> units_by_seller;
  std::unordered_map<int64_t, int64_t> units_by_buyer;
};

std::string Cents(int64_t cents) {
  return cents < 0 ? "-" + Money{-cents}.ToString() : Money{cents}.ToString();
}

std::string Item(int64_t category, int64_t number) { return ItemId{category, number}.ToString(); }

void Add(AuditReport& report, Invariant invariant, std::string subject, std::string detail) {
  report.violations.push_back({invariant, std::move(subject), std::move(detail)});
}

// Runs `fn` in one read-only snapshot of `db`, so that its aggregates agree
// with one another even while the services write: SQLite's deferred
// transaction reads one version of the file; PostgreSQL's default READ
// COMMITTED would give each statement its own.
Status InSnapshot(Database& db, const std::function<Status(Connection&)>& fn) {
  return db.Read([&](Connection& conn) -> Status {
    MP_RETURN_IF_ERROR(conn.Exec(conn.engine() == Engine::kSqlite
                                     ? "BEGIN"
                                     : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                           .status());
    Status status = fn(conn);
    Status ended = conn.Exec("ROLLBACK").status();
    return status.ok() ? ended : status;
  });
}

// The oldest schema versions that hold every table the audit reads
// (deploy/sql): purchase_attempts came with customer_002.
constexpr int64_t kCustomerSchema = 2;
constexpr int64_t kProductSchema = 1;
constexpr int64_t kPaymentSchema = 1;

// A database of another kind, or one older than the tables the audit reads,
// is refused with a message rather than misread.
Status CheckSchema(Connection& conn, const Sql& version, const char* what, int64_t needed) {
  auto rows = conn.Query(version);
  if (!rows.ok()) {
    return Status(rows.status().code(), std::string(what) + ": no schema version (" +
                                            rows.status().message() + "): not its database?");
  }
  int64_t have = rows->empty() ? 0 : rows->at(0).Int(0);
  if (have < needed) {
    return Status(StatusCode::kFailedPrecondition,
                  std::string(what) + ": schema version " + std::to_string(have) +
                      ", the audit needs " + std::to_string(needed) +
                      " or later: start the service of this build once to migrate it");
  }
  return Status();
}

Status ReadProduct(Connection& conn, Snapshot& s, AuditReport& report) {
  MP_RETURN_IF_ERROR(CheckSchema(conn, kProductVersion, "product DB", kProductSchema));
  MP_RETURN_IF_ERROR(conn.ForEach(kTakes, {}, [&](const Row& r) {
    Take take{r.Text(0), "", r.Int(3), static_cast<int>(r.Int(4))};
    if (r.IsNull(2)) {
      take.item = "?-" + std::to_string(r.Int(1));
      Add(report, Invariant::kStock, "purchase " + take.purchase_id,
          "stock take names item number " + std::to_string(r.Int(1)) + ", which does not exist");
    } else {
      take.item = Item(r.Int(2), r.Int(1));
    }
    s.takes.push_back(std::move(take));
    return true;
  }));
  report.stats.stock_takes = static_cast<int64_t>(s.takes.size());
  MP_RETURN_IF_ERROR(conn.ForEach(kItemFeedbackMismatches, {}, [&](const Row& r) {
    Add(report, Invariant::kFeedback, "item " + Item(r.Int(0), r.Int(1)),
        "feedback " + std::to_string(r.Int(2)) + " up " + std::to_string(r.Int(3)) +
            " down, its votes " + std::to_string(r.Int(4)) + " up " + std::to_string(r.Int(5)) +
            " down");
    return true;
  }));
  std::unordered_map<int64_t, Feedback> by_items;
  MP_RETURN_IF_ERROR(conn.ForEach(kFeedbackBySeller, {}, [&](const Row& r) {
    by_items[r.Int(0)] = {r.Int(1), r.Int(2)};
    report.stats.items += r.Int(3);
    return true;
  }));
  auto compare = [&](int64_t seller, Feedback rating, Feedback items) {
    if (rating.up == items.up && rating.down == items.down) return;
    Add(report, Invariant::kFeedback, "seller " + std::to_string(seller),
        "rating " + std::to_string(rating.up) + " up " + std::to_string(rating.down) +
            " down, its items' feedback sums to " + std::to_string(items.up) + " up " +
            std::to_string(items.down) + " down");
  };
  MP_RETURN_IF_ERROR(conn.ForEach(kSellerRatings, {}, [&](const Row& r) {
    auto it = by_items.find(r.Int(0));
    compare(r.Int(0), {r.Int(1), r.Int(2)}, it == by_items.end() ? Feedback{} : it->second);
    if (it != by_items.end()) by_items.erase(it);
    return true;
  }));
  // A seller without a rating row reads as 0 up 0 down (GetSellerRating).
  for (const auto& [seller, items] : by_items) compare(seller, {}, items);
  return Status();
}

Status ReadPayment(Connection& conn, Snapshot& s) {
  MP_RETURN_IF_ERROR(CheckSchema(conn, kPaymentVersion, "payment", kPaymentSchema));
  return conn.ForEach(kApprovedCharges, {}, [&](const Row& r) {
    s.charges[r.Text(0)] = r.Int(1);
    return true;
  });
}

Status ReadCustomer(Connection& conn, int64_t cutoff_ms, Snapshot& s, AuditReport& report) {
  MP_RETURN_IF_ERROR(CheckSchema(conn, kCustomerVersion, "customer DB", kCustomerSchema));
  MP_RETURN_IF_ERROR(conn.ForEach(kAttempts, {}, [&](const Row& r) {
    s.attempts[r.Text(0)] = {r.Int(1), static_cast<int>(r.Int(2)), r.Int(3), r.Int(4), r.Int(5)};
    return true;
  }));
  MP_RETURN_IF_ERROR(conn.ForEach(kLinesByPurchase, {}, [&](const Row& r) {
    s.lines[r.Text(0)] = {r.Int(1), r.Int(2), r.Int(3), r.Int(4), r.Int(5)};
    return true;
  }));
  MP_RETURN_IF_ERROR(conn.ForEach(kLinesByItem, {cutoff_ms}, [&](const Row& r) {
    s.units_by_item[r.Text(0)] = r.Int(1);
    return true;
  }));
  MP_RETURN_IF_ERROR(conn.ForEach(kUnitsBySeller, {}, [&](const Row& r) {
    s.units_by_seller[r.Int(0)] = r.Int(1);
    return true;
  }));
  MP_RETURN_IF_ERROR(conn.ForEach(kUnitsByBuyer, {}, [&](const Row& r) {
    s.units_by_buyer[r.Int(0)] = r.Int(1);
    return true;
  }));
  // Invariant 3 needs nothing from the other databases: check it while the
  // accounts stream by instead of keeping them.
  MP_RETURN_IF_ERROR(conn.ForEach(kAccounts, {}, [&](const Row& r) {
    ++report.stats.accounts;
    int64_t id = r.Int(0);
    int64_t role = r.Int(1);
    int64_t sold = 0;
    int64_t bought = 0;
    if (auto it = s.units_by_seller.find(id); it != s.units_by_seller.end()) {
      sold = it->second;
      s.units_by_seller.erase(it);
      if (role != kSellerRole) {
        Add(report, Invariant::kUnits, "account " + std::to_string(id),
            "is no seller, yet purchase lines name it as the seller of " + std::to_string(sold) +
                " units");
      }
    }
    if (auto it = s.units_by_buyer.find(id); it != s.units_by_buyer.end()) {
      bought = it->second;
      s.units_by_buyer.erase(it);
      if (role != kBuyerRole) {
        Add(report, Invariant::kUnits, "account " + std::to_string(id),
            "is no buyer, yet purchase lines name it as the buyer of " + std::to_string(bought) +
                " units");
      }
    }
    int64_t expected = sold + bought;
    if (r.Int(2) != expected) {
      std::string counter = role == kSellerRole  ? "items_sold"
                            : role == kBuyerRole ? "items_purchased"
                                                 : "units";
      Add(report, Invariant::kUnits, "account " + std::to_string(id),
          counter + " " + std::to_string(r.Int(2)) + ", its purchase lines give " +
              std::to_string(expected));
    }
    return true;
  }));
  for (const auto& [id, units] : s.units_by_seller) {
    Add(report, Invariant::kUnits, "account " + std::to_string(id),
        "does not exist, yet purchase lines name it as the seller of " + std::to_string(units) +
            " units");
  }
  for (const auto& [id, units] : s.units_by_buyer) {
    Add(report, Invariant::kUnits, "account " + std::to_string(id),
        "does not exist, yet purchase lines name it as the buyer of " + std::to_string(units) +
            " units");
  }
  return Status();
}

// Invariants 2, 5 and 6 over attempts, their lines and the approved charges.
void CheckPurchases(const Snapshot& s, const AuditOptions& options, int64_t now_ms,
                    int64_t cutoff_ms, AuditReport& report) {
  auto settled = [&](const Attempt& a) { return a.state != kPending && a.finished_ms < cutoff_ms; };
  int64_t bound_ms = options.pending_bound.count();
  for (const auto& [id, a] : s.attempts) {
    std::string subject = "purchase " + id;
    if (a.state == kPending) {
      if (bound_ms == 0 || now_ms - a.created_ms > bound_ms) {
        Add(report, Invariant::kPending, subject,
            "pending for " + std::to_string((now_ms - a.created_ms) / 1000) + " s (bound " +
                std::to_string(bound_ms / 1000) + " s), buyer " + std::to_string(a.buyer_id));
      }
      ++report.stats.skipped_in_flight;
      continue;
    }
    if (a.state != kCompleted && a.state != kFailed) {
      Add(report, Invariant::kCharges, subject,
          "attempt in unknown state " + std::to_string(a.state));
      continue;
    }
    if (!settled(a)) ++report.stats.skipped_in_flight;
    auto lines = s.lines.find(id);
    if (a.state == kCompleted && lines == s.lines.end()) {
      Add(report, Invariant::kCharges, subject, "completed without purchase lines");
    }
    if (!settled(a)) continue;
    auto charge = s.charges.find(id);
    if (a.state == kCompleted && charge == s.charges.end()) {
      Add(report, Invariant::kCharges, subject,
          "completed (total " + Cents(a.total_cents) + ") without an approved charge");
    }
    if (a.state == kFailed && charge != s.charges.end()) {
      Add(report, Invariant::kFailed, subject,
          "failed, yet its charge of " + Cents(charge->second) + " was approved");
    }
  }
  for (const auto& [id, lines] : s.lines) {
    std::string subject = "purchase " + id;
    auto it = s.attempts.find(id);
    if (it == s.attempts.end()) {
      Add(report, Invariant::kCharges, subject,
          std::to_string(lines.count) + " purchase lines without a purchase attempt");
      continue;
    }
    const Attempt& a = it->second;
    if (a.state == kFailed) {
      Add(report, Invariant::kFailed, subject,
          "failed, yet it has " + std::to_string(lines.count) + " purchase lines");
    } else if (a.state == kPending) {
      Add(report, Invariant::kCharges, subject,
          "pending, yet it has " + std::to_string(lines.count) + " purchase lines");
    } else if (a.state == kCompleted && a.total_cents != lines.value_cents) {
      Add(report, Invariant::kCharges, subject,
          "total " + Cents(a.total_cents) + ", its lines sum to " + Cents(lines.value_cents));
    }
    if (lines.min_buyer != a.buyer_id || lines.max_buyer != a.buyer_id) {
      Add(report, Invariant::kCharges, subject,
          "bought by " + std::to_string(a.buyer_id) + ", its lines name buyer " +
              std::to_string(lines.min_buyer == a.buyer_id ? lines.max_buyer : lines.min_buyer));
    }
  }
  report.stats.purchases = static_cast<int64_t>(s.lines.size());
  report.stats.charges = static_cast<int64_t>(s.charges.size());
  for (const auto& [id, amount] : s.charges) {
    std::string subject = "purchase " + id;
    auto it = s.attempts.find(id);
    if (it == s.attempts.end()) {
      Add(report, Invariant::kCharges, subject,
          "approved charge of " + Cents(amount) + " without a purchase attempt");
      continue;
    }
    const Attempt& a = it->second;
    if (a.state != kCompleted || !settled(a)) continue;  // failed: reported above
    auto lines = s.lines.find(id);
    int64_t recorded = lines == s.lines.end() ? 0 : lines->second.value_cents;
    if (amount != a.total_cents || amount != recorded) {
      Add(report, Invariant::kCharges, subject,
          "approved charge of " + Cents(amount) + ", purchase total " + Cents(a.total_cents) +
              ", lines " + Cents(recorded));
    }
  }
}

// Invariant 1 (and 6's stock part) over the stock takes and the lines.
void CheckStock(const Snapshot& s, int64_t cutoff_ms, AuditReport& report) {
  // Units out of sale per item for the purchases the check covers, and held
  // by pending attempts (for the message only: both sides leave them out).
  std::unordered_map<std::string, int64_t> taken;
  std::unordered_map<std::string, int64_t> pending_held;
  std::unordered_map<std::string, int64_t> taken_by_purchase;  // settled, completed
  for (const Take& t : s.takes) {
    std::string subject = "purchase " + t.purchase_id;
    bool held = t.state != kReleased;
    std::string units = std::to_string(t.quantity) + " units of item " + t.item;
    if (t.state != kTaken && t.state != kReleased && t.state != kCommitted) {
      Add(report, Invariant::kStock, subject,
          "stock take of " + units + " in unknown state " + std::to_string(t.state));
    }
    auto it = s.attempts.find(t.purchase_id);
    if (it == s.attempts.end()) {
      if (held) {
        Add(report, Invariant::kStock, subject,
            "holds " + units + " without a purchase attempt in the customer DB");
        taken[t.item] += t.quantity;
      }
      continue;
    }
    const Attempt& a = it->second;
    if (a.state == kPending) {
      // CommitStock follows RecordPurchase, which ends the attempt.
      if (t.state == kCommitted) {
        Add(report, Invariant::kStock, subject,
            "pending, yet its take of " + units + " is committed");
      }
      if (held) pending_held[t.item] += t.quantity;
      continue;
    }
    if (a.finished_ms >= cutoff_ms) continue;  // in flight
    if (a.state == kFailed && held) {
      Add(report, Invariant::kFailed, subject,
          "failed, yet its take of " + units + " is not released");
    }
    if (a.state == kCompleted && !held) {
      Add(report, Invariant::kStock, subject,
          "completed, yet its take of " + units + " was given back (sold and for sale)");
    }
    if (held) taken[t.item] += t.quantity;
    if (held && a.state == kCompleted) taken_by_purchase[t.purchase_id] += t.quantity;
  }
  // Per item the sums can hide which purchase is off; per purchase they name it.
  for (const auto& [id, a] : s.attempts) {
    if (a.state != kCompleted || a.finished_ms >= cutoff_ms) continue;
    auto lines = s.lines.find(id);
    auto held = taken_by_purchase.find(id);
    int64_t in_lines = lines == s.lines.end() ? 0 : lines->second.units;
    int64_t out_of_sale = held == taken_by_purchase.end() ? 0 : held->second;
    if (in_lines != out_of_sale) {
      Add(report, Invariant::kStock, "purchase " + id,
          "its lines hold " + std::to_string(in_lines) + " units, its stock takes " +
              std::to_string(out_of_sale) + " (not given back)");
    }
  }
  auto compare = [&](const std::string& item, int64_t out_of_sale, int64_t in_lines) {
    if (out_of_sale == in_lines) return;
    auto p = pending_held.find(item);
    std::string pending =
        p == pending_held.end() ? "" : " (" + std::to_string(p->second) + " more held by pending)";
    Add(report, Invariant::kStock, "item " + item,
        std::to_string(out_of_sale) + " units out of sale (taken, not given back)" + pending +
            ", " + std::to_string(in_lines) + " in purchase lines");
  };
  for (const auto& [item, n] : taken) {
    auto it = s.units_by_item.find(item);
    compare(item, n, it == s.units_by_item.end() ? 0 : it->second);
  }
  for (const auto& [item, n] : s.units_by_item) {
    if (taken.count(item) == 0) compare(item, 0, n);
  }
}

bool IsSqliteFile(const std::string& uri) {
  return !uri.starts_with("postgresql://") && !uri.starts_with("postgres://");
}

}  // namespace

std::string_view InvariantName(Invariant invariant) {
  switch (invariant) {
    case Invariant::kStock:
      return "stock";
    case Invariant::kCharges:
      return "charges";
    case Invariant::kUnits:
      return "units";
    case Invariant::kFeedback:
      return "feedback";
    case Invariant::kPending:
      return "pending";
    case Invariant::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string Violation::ToString() const {
  return "invariant " + std::to_string(static_cast<int>(invariant)) + " (" +
         std::string(InvariantName(invariant)) + "): " + subject + ": " + detail;
}

StatusOr<AuditReport> Audit(Database& customer, Database& product, Database& payment,
                            const AuditOptions& options) {
  int64_t now_ms = options.now_ms != 0 ? options.now_ms : SystemClock().NowMs();
  int64_t cutoff_ms = now_ms - options.in_flight.count();
  AuditReport report;
  Snapshot s;
  MP_RETURN_IF_ERROR(
      InSnapshot(product, [&](Connection& conn) { return ReadProduct(conn, s, report); }));
  MP_RETURN_IF_ERROR(InSnapshot(payment, [&](Connection& conn) { return ReadPayment(conn, s); }));
  MP_RETURN_IF_ERROR(InSnapshot(
      customer, [&](Connection& conn) { return ReadCustomer(conn, cutoff_ms, s, report); }));
  report.stats.attempts = static_cast<int64_t>(s.attempts.size());
  CheckPurchases(s, options, now_ms, cutoff_ms, report);
  CheckStock(s, cutoff_ms, report);
  std::stable_sort(report.violations.begin(), report.violations.end(),
                   [](const Violation& a, const Violation& b) {
                     return std::tie(a.invariant, a.subject) < std::tie(b.invariant, b.subject);
                   });
  return report;
}

StatusOr<AuditReport> AuditUris(const std::string& customer_uri, const std::string& product_uri,
                                const std::string& payment_uri, const AuditOptions& options) {
  std::map<std::string, std::unique_ptr<Database>> open;
  for (const std::string* uri : {&customer_uri, &product_uri, &payment_uri}) {
    if (open.count(*uri)) continue;
    std::error_code ec;
    if (IsSqliteFile(*uri) && !std::filesystem::is_regular_file(*uri, ec)) {
      return NotFound("no database file " + *uri);
    }
    MP_ASSIGN_OR_RETURN(open[*uri], Database::Open({.uri = *uri, .max_connections = 1}));
  }
  return Audit(*open[customer_uri], *open[product_uri], *open[payment_uri], options);
}

}  // namespace mp::audit
