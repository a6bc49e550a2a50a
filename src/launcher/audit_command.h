#pragma once

namespace mp::launcher {

// `marketplace audit`: checks the ledger invariants of docs/purchases.md on
// the databases of a `marketplace up` (its --data-dir SQLite files, or its
// --db-url PostgreSQL) and prints each violation. Returns the exit status:
// 0 clean, 1 violations found, 2 bad flags or databases that cannot be read.
int RunAudit(int argc, char** argv);

}  // namespace mp::launcher
