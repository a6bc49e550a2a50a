#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "process_stack.h"

namespace mp::integration {

// What the three databases of a stack durably hold about purchases, read
// straight from their tables: the services offer no call that lists every
// attempt, charge or stock take, and a test must see all of them.
struct Ledger {
  struct Attempt {
    int64_t buyer_id = 0;
    int state = 0;  // 1 pending, 2 completed, 3 failed
    std::string failure_reason;
    int64_t total_cents = 0;
  };
  struct Line {
    std::string purchase_id;
    int64_t buyer_id = 0;
    std::string item_id;
    int64_t seller_id = 0;
    int64_t quantity = 0;
    int64_t price_cents = 0;
  };
  struct Charge {
    bool approved = false;
    std::string reason;
    int64_t amount_cents = 0;
  };
  struct Take {
    std::string purchase_id;
    std::string item_id;
    int64_t quantity = 0;
    int state = 0;  // 1 taken, 2 released, 3 committed
  };

  std::map<std::string, Attempt> attempts;  // by purchase id
  std::vector<Line> lines;                  // purchase_lines
  std::map<std::string, Charge> charges;    // by transaction (= purchase) id
  std::vector<Take> takes;
  std::map<std::string, int64_t> stock;  // item id -> units for sale
  std::map<int64_t, int64_t> units;      // account id -> items sold / purchased
  // What `marketplace audit` (src/audit) found in the same databases when
  // ReadLedger read them, at rest: no attempt may be pending.
  std::vector<std::string> audit;

  int ApprovedCharges() const;
  int CompletedAttempts() const;
  int64_t UnitsSold(const std::string& item_id) const;
};

// Reads the ledger of `stack` (read-only queries on its databases).
StatusOr<Ledger> ReadLedger(ProcessStack& stack);
// The same from the three databases (one PostgreSQL may be all three).
StatusOr<Ledger> ReadLedger(storage::Database& customers, storage::Database& products,
                            storage::Database& payments);

// Every way the ledger breaks the purchase invariants of docs/purchases.md
// (empty when it holds): those of the audit library ("Auditing the ledger":
// stock takes against lines, charges against purchases, account units,
// feedback, no attempt pending, failed attempts leave nothing behind), read
// by ReadLedger into `audit`; and what only a test knows: per item of
// `put_up`, units for sale plus units sold equal the units it put up.
std::vector<std::string> CheckInvariants(const Ledger& ledger,
                                         const std::map<std::string, int64_t>& put_up);

// Runs the real `marketplace audit` binary (from MP_TEST_BIN_DIR) on the
// three databases of `stack`, at rest (--in-flight 0 --pending-bound 0):
// its exit code (-1 when it could not run) and output.
std::pair<int, std::string> RunAuditCommand(ProcessStack& stack, storage::Engine engine);

}  // namespace mp::integration
