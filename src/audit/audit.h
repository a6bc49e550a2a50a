#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/database.h"

namespace mp::audit {

// The ledger invariants of docs/purchases.md ("Auditing the ledger").
enum class Invariant {
  // Per item: units out of sale (stock takes not given back) equal the units
  // in its purchase lines plus those held by pending attempts. The product DB
  // keeps no record of registrations and withdrawals, only the quantity they
  // change, so "units put up" is for sale plus taken-and-not-given-back.
  kStock = 1,
  // Every approved charge has one completed attempt with lines of the same
  // total, and every completed attempt (every purchase line) an approved
  // charge.
  kCharges = 2,
  // A seller's units (items_sold) and a buyer's (items_purchased) equal the
  // sums of their purchase lines.
  kUnits = 3,
  // An item's up/down equal its votes; a seller's rating equals the sum over
  // the seller's items.
  kFeedback = 4,
  // No attempt is pending for longer than the recovery bound.
  kPending = 5,
  // A failed attempt has no lines, no approved charge, no stock held.
  kFailed = 6,
};

// "stock", "charges", ... for printing.
std::string_view InvariantName(Invariant invariant);

struct Violation {
  Invariant invariant = Invariant::kStock;
  // What it is about, e.g. "item 3-7", "purchase p1", "account 12", "seller 4".
  std::string subject;
  // What is wrong, with the numbers on both sides.
  std::string detail;

  // "invariant 1 (stock): item 3-7: ..."
  std::string ToString() const;
};

struct AuditOptions {
  // An attempt pending for longer than this is reported (kPending). Recovery
  // settles an attempt within its age (--recovery-age, 60 s by default) plus
  // one period, so twice that is a safe bound. Zero reports every pending
  // attempt (a system at rest).
  std::chrono::milliseconds pending_bound = std::chrono::seconds(120);
  // The three databases are read one after another (product, payment, then
  // customer DB), each in its own snapshot, so a purchase that moves on while
  // the audit runs can show one step in one database and the next in another.
  // Attempts created or finished within this margin before the audit began
  // are therefore left out of the checks that span databases; so are pending
  // attempts. Zero: check everything (a system at rest).
  std::chrono::milliseconds in_flight = std::chrono::seconds(10);
  // The audit's "now" in Unix epoch milliseconds; 0 takes the system clock.
  int64_t now_ms = 0;
};

// What the audit looked at, for its summary line.
struct AuditStats {
  int64_t attempts = 0;
  int64_t purchases = 0;  // purchase ids with lines
  int64_t charges = 0;    // approved
  int64_t stock_takes = 0;
  int64_t items = 0;
  int64_t accounts = 0;
  int64_t skipped_in_flight = 0;  // attempts left out of cross-database checks
};

struct AuditReport {
  std::vector<Violation> violations;  // ordered by invariant, then subject
  AuditStats stats;
};

// Reads the three databases (SELECT statements only, every value bound, a
// handful of aggregate queries per database whatever the number of items)
// and checks every Invariant. The same Database may be passed for all three
// when they share one (marketplace up --db-url). Errors: kInternal when a
// table is missing or a query fails, kFailedPrecondition when a schema is
// older than this audit needs, kUnavailable when a server cannot be reached.
StatusOr<AuditReport> Audit(storage::Database& customer, storage::Database& product,
                            storage::Database& payment, const AuditOptions& options = {});

// Opens the three databases by URI (a SQLite path or a postgresql:// URL),
// then audits them. A SQLite file that does not exist is kNotFound (opening
// it would create an empty one). URIs that are equal share one connection.
StatusOr<AuditReport> AuditUris(const std::string& customer_uri, const std::string& product_uri,
                                const std::string& payment_uri, const AuditOptions& options = {});

}  // namespace mp::audit
