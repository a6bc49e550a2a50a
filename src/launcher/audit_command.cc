#include "launcher/audit_command.h"

#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>

#include "audit/audit.h"
#include "common/flags.h"
#include "launcher/ha.h"
#include "launcher/launcher_options.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace mp::launcher {
namespace {

std::string Summary(const audit::AuditStats& s) {
  std::string out = std::to_string(s.items) + " items, " + std::to_string(s.attempts) +
                    " purchase attempts, " + std::to_string(s.charges) + " approved charges, " +
                    std::to_string(s.stock_takes) + " stock takes, " + std::to_string(s.accounts) +
                    " accounts";
  if (s.skipped_in_flight > 0) {
    out += "; " + std::to_string(s.skipped_in_flight) +
           " attempts in flight left out of the cross-database checks";
  }
  return out;
}

}  // namespace

int RunAudit(int argc, char** argv) {
  UpOptions up;  // the same defaults as `marketplace up`, so a bare audit finds its data
  int pending_bound_s = 120;
  int in_flight_s = 10;
  po::options_description desc(
      "marketplace audit options (also MP_<FLAG> variables): checks the ledger of the databases "
      "that `marketplace up` used; exit 0 clean, 1 violations, 2 usage or database errors");
  // clang-format off
  desc.add_options()
      ("data-dir", po::value(&up.data_dir)->default_value(up.data_dir),
       "the SQLite files (customer.db, product.db, payment.db) live here")
      ("db-url", po::value(&up.db_url),
       "postgresql:// URL holding all three (instead of --data-dir)")
      ("pending-bound", po::value(&pending_bound_s)->default_value(pending_bound_s),
       "seconds an attempt may stay pending (twice the buyer servers' --recovery-age)")
      ("in-flight", po::value(&in_flight_s)->default_value(in_flight_s),
       "attempts created or finished this many seconds before the audit are left out of "
       "the checks across databases (0 on a stopped system)");
  // clang-format on
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, "MP_", vm);
  if (!flags.ok()) return ExitCodeFor(flags);
  if (!up.db_url.empty() && !vm["data-dir"].defaulted()) {
    std::cerr << "marketplace audit: give --data-dir or --db-url, not both\n";
    return 2;
  }
  if (pending_bound_s < 0 || in_flight_s < 0) {
    std::cerr << "marketplace audit: --pending-bound and --in-flight must not be negative\n";
    return 2;
  }
  audit::AuditOptions options;
  options.pending_bound = std::chrono::seconds(pending_bound_s);
  options.in_flight = std::chrono::seconds(in_flight_s);
  // `marketplace up` gives the three services one PostgreSQL database (the
  // same URL, the same schema) or three files in its data directory
  // (system.cc, DbUri).
  // A replicated deployment (--ha) keeps the URL of its cluster there.
  if (up.db_url.empty()) {
    if (auto kept = KeptHaDbUrl(up.data_dir); kept.ok()) up.db_url = *kept;
  }
  auto file = [&](const char* name) { return (fs::path(up.data_dir) / name).string(); };
  auto report = up.db_url.empty() ? audit::AuditUris(file("customer.db"), file("product.db"),
                                                     file("payment.db"), options)
                                  : audit::AuditUris(up.db_url, up.db_url, up.db_url, options);
  if (!report.ok()) {
    std::cerr << "marketplace audit: " << report.status().ToString() << "\n";
    return 2;
  }
  for (const audit::Violation& v : report->violations) std::cout << v.ToString() << "\n";
  if (report->violations.empty()) {
    std::cout << "marketplace audit: clean (" << Summary(report->stats) << ")\n";
    return 0;
  }
  std::cout << "marketplace audit: " << report->violations.size() << " violations ("
            << Summary(report->stats) << ")\n";
  return 1;
}

}  // namespace mp::launcher
