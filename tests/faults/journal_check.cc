// journal_check: the fault test's checks (fault_check.h) on a system that
// runs apart from it, e.g. `marketplace up --ha` under tests/ha: every
// acknowledged write of a marketplace-bench journal (--resilient --journal)
// is in the databases, the counters agree with the records, and the
// ledger's invariants hold. First waits until no purchase is pending (a
// purchase cut off by a failure is settled by the buyer servers' recovery).
//
// Usage: journal_check --db-url URL --journal FILE [--items-per-seller N] [--settle S]
// Exit 0 when every check holds, 1 with the problems printed, 2 on errors.
#include <boost/program_options.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "common/flags.h"
#include "fault_check.h"
#include "ledger.h"
#include "storage/database.h"

namespace po = boost::program_options;
using namespace mp;

namespace {

const storage::Sql kPending{"SELECT COUNT(*) FROM purchase_attempts WHERE state = 1"};

StatusOr<int64_t> Pending(storage::Database& db) {
  int64_t n = 0;
  MP_RETURN_IF_ERROR(db.Read([&](storage::Connection& conn) -> Status {
    MP_ASSIGN_OR_RETURN(storage::Rows rows, conn.Query(kPending));
    n = rows.at(0).Int(0);
    return Status();
  }));
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url, journal_file;
  int items_per_seller = 20;
  int settle_s = 180;
  po::options_description desc("journal_check options");
  desc.add_options()("db-url", po::value(&url)->required(), "the system's PostgreSQL")(
      "journal", po::value(&journal_file)->required(), "marketplace-bench's journal")(
      "items-per-seller", po::value(&items_per_seller)->default_value(items_per_seller),
      "as given to marketplace-bench")("settle", po::value(&settle_s)->default_value(settle_s),
                                       "seconds to wait for pending purchases to be settled");
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, "MP_JOURNAL_CHECK_", vm);
  if (!flags.ok()) return ExitCodeFor(flags);

  auto db = storage::Database::Open({.uri = url, .max_connections = 2});
  if (!db.ok()) {
    std::cerr << "journal_check: " << db.status().ToString() << "\n";
    return 2;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(settle_s);
  for (;;) {
    auto pending = Pending(**db);
    if (pending.ok() && *pending == 0) break;
    if (std::chrono::steady_clock::now() > deadline) {
      std::cout << "journal_check: purchases still pending after " << settle_s << " s ("
                << (pending.ok() ? std::to_string(*pending) : pending.status().ToString()) << ")\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  auto journal = faults::ReadJournal(journal_file);
  auto ledger = integration::ReadLedger(**db, **db, **db);
  auto shelf = faults::ReadShelf(**db, **db);
  for (const Status& s : {journal.status(), ledger.status(), shelf.status()}) {
    if (!s.ok()) {
      std::cerr << "journal_check: " << s.ToString() << "\n";
      return 2;
    }
  }
  std::vector<std::string> problems = integration::CheckInvariants(*ledger, {});
  for (std::string& p : faults::CheckJournal(*journal, *ledger, *shelf, items_per_seller)) {
    problems.push_back(std::move(p));
  }
  std::map<std::string, int> acked, unknown;
  for (const faults::JournalEntry& e : *journal) {
    acked[e.call] += e.result == "ok";
    unknown[e.call] += e.result == "unknown";
  }
  for (const std::string& p : problems) std::cout << p << "\n";
  std::cout << "journal_check: " << journal->size() << " journal lines; acknowledged:";
  for (const auto& [call, n] : acked) {
    if (n > 0) std::cout << " " << call << " " << n;
  }
  std::cout << "; outcome unknown:";
  for (const auto& [call, n] : unknown) {
    if (n > 0) std::cout << " " << call << " " << n;
  }
  std::cout << "\njournal_check: " << (problems.empty() ? "clean" : "PROBLEMS") << "\n";
  return problems.empty() ? 0 : 1;
}
