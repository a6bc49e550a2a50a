// marketplace-bench: load generator and report writer for the marketplace's
// REST servers (docs/contract.md §8). See bench/README.md.
#include <iostream>

#include "bench/bench.h"
#include "common/flags.h"

namespace po = boost::program_options;
using namespace mp;

int main(int argc, char** argv) {
  bench::BenchOptions o;
  std::string sellers = "127.0.0.1:8081", buyers = "127.0.0.1:8082", workload = "read", report;
  std::vector<std::string> compare;
  bool floor = false;
  po::options_description desc("marketplace-bench options (also MP_BENCH_<FLAG> variables)");
  // One flag a line; clang-format would pack the chain.
  // clang-format off
  desc.add_options()
      ("seller", po::value(&sellers)->default_value(sellers),
       "seller server(s), \"a:1,b:2\"")
      ("buyer", po::value(&buyers)->default_value(buyers),
       "buyer server(s), \"a:1,b:2\"")
      ("scenario", po::value(&o.scenario),
       "preset: 1 = 1+1, 2 = 10+10, 3 = 100+100 clients; K=1000, R=10")
      ("sellers", po::value(&o.sellers)->default_value(o.sellers), "seller clients (N)")
      ("buyers", po::value(&o.buyers)->default_value(o.buyers), "buyer clients (M)")
      ("calls", po::value(&o.calls)->default_value(o.calls), "calls per client per run (K)")
      ("runs", po::value(&o.runs)->default_value(o.runs), "runs (R)")
      ("workload", po::value(&workload)->default_value(workload), "read or mixed")
      ("threads", po::value(&o.threads)->default_value(o.threads), "load generator threads")
      ("setup-concurrency", po::value(&o.setup_concurrency)->default_value(o.setup_concurrency),
       "accounts created and logged in at once during set-up")
      ("items-per-seller", po::value(&o.items_per_seller)->default_value(o.items_per_seller),
       "items each seller registers during set-up")
      ("catalog", po::value(&o.catalog)->default_value(o.catalog),
       "items loaded first by extra sellers that take no part in the runs (keywords from a "
       "Zipf-distributed vocabulary)")
      ("accounts", po::value(&o.accounts)->default_value(o.accounts),
       "buyer accounts created first, each with --history purchases, that take no part in the "
       "runs")
      ("history", po::value(&o.history)->default_value(o.history),
       "purchases of each --accounts account")
      ("search-limit", po::value(&o.search_limit)->default_value(o.search_limit),
       "limit of SearchItemsForSale")
      ("timeout", po::value(&o.timeout_s)->default_value(o.timeout_s),
       "seconds before a call fails")
      ("duration", po::value(&o.duration_s),
       "each run lasts this many seconds (not --calls); SIGINT/SIGTERM ends it early")
      ("resilient", po::bool_switch(&o.resilient),
       "ride out outages: 503/504/no reply counted apart, purchases retried with "
       "an Idempotency-Key (for fault tests)")
      ("retry-wait", po::value(&o.retry_wait_ms)->default_value(o.retry_wait_ms),
       "with --resilient: milliseconds to wait after a call failed as unavailable")
      ("settle", po::value(&o.settle_ms)->default_value(o.settle_ms),
       "with --resilient: milliseconds after sending a write of unknown outcome before the "
       "client reads back its state (the servers' deadline and a margin)")
      ("journal", po::value(&o.journal),
       "with --resilient: write every write and failure, one JSON object a line, to this file")
      ("seed", po::value(&o.seed)->default_value(o.seed), "seed of the clients' random choices")
      ("floor", po::bool_switch(&floor),
       "only measure the floor (one HTTP hop + one gRPC hop, in-process) and print it")
      ("floor-calls", po::value(&o.floor_calls)->default_value(o.floor_calls),
       "round trips per hop of the floor, measured before every benchmark; 0: none")
      ("tls-dir", po::value(&o.tls_dir),
       "the system's TLS files (ca.pem, frontend.*, customer-db.*): the floor's gRPC hop "
       "runs mutual TLS with them (with --floor-grpc tcp)")
      ("floor-grpc", po::value(&o.floor_grpc)->default_value(o.floor_grpc),
       "the floor's gRPC hop: unix (a Unix socket, as marketplace up runs) or tcp")
      ("label", po::value(&o.label), "names this result set, e.g. SQLite")
      ("out", po::value(&o.out_dir), "write JSON, report.md and charts into this directory")
      ("report", po::value(&report), "only rewrite the report of the results in this directory")
      ("compare", po::value(&compare)->multitoken(),
       "A B: compare two result files or directories");
  // clang-format on
  po::variables_map vm;
  Status flags = ParseFlags(argc, argv, desc, "MP_BENCH_", vm);
  if (!flags.ok()) return ExitCodeFor(flags);

  if (!report.empty()) return bench::RunReport(report);
  if (floor) return bench::RunFloor(o);
  if (!compare.empty()) {
    if (compare.size() != 2) return ExitCodeFor(InvalidArgument("compare", "takes two paths"));
    return bench::RunCompare(compare[0], compare[1], o.out_dir);
  }
  auto seller_list = bench::ParseServerList(sellers);
  auto buyer_list = bench::ParseServerList(buyers);
  auto parsed = bench::ParseWorkload(workload);
  for (const Status& s : {seller_list.status(), buyer_list.status(), parsed.status()}) {
    if (!s.ok()) return ExitCodeFor(s);
  }
  o.seller_servers = *seller_list;
  o.buyer_servers = *buyer_list;
  o.workload = *parsed;
  Status sized = bench::ApplyScenario(o, !vm["sellers"].defaulted(), !vm["buyers"].defaulted(),
                                      !vm["calls"].defaulted(), !vm["runs"].defaulted());
  if (!sized.ok()) return ExitCodeFor(sized);
  return bench::RunBenchmark(o);
}
