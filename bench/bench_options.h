#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace mp::bench {

enum class Workload { kRead, kMixed };

// "read" or "mixed".
std::string_view WorkloadName(Workload w);
StatusOr<Workload> ParseWorkload(std::string_view text);

// One host:port of a REST server.
struct ServerAddress {
  std::string host;
  std::string port;
  std::string ToString() const { return host + ":" + port; }
};

// Parses "a:1,b:2"; kInvalidArgument for an empty list or an entry without
// a numeric port.
StatusOr<std::vector<ServerAddress>> ParseServerList(std::string_view list);

inline constexpr int64_t kMaxAccounts = 10'000'000;
inline constexpr int kMaxHistory = 1000;

// Everything a benchmark run needs. main.cc fills it from flags.
struct BenchOptions {
  // Seller and buyer REST servers; clients are spread over them round-robin.
  std::vector<ServerAddress> seller_servers = {{"127.0.0.1", "8081"}};
  std::vector<ServerAddress> buyer_servers = {{"127.0.0.1", "8082"}};
  // Preset 1, 2 or 3 (docs/contract.md §8), or 0 for a custom size. A preset fills
  // sellers, buyers, calls and runs unless they were given explicitly.
  int scenario = 0;
  int sellers = 1;
  int buyers = 1;
  // Calls each client makes per run (K) and the number of runs (R).
  int calls = 1000;
  int runs = 10;
  Workload workload = Workload::kRead;
  // io_context threads of the load generator. It shares the machine with
  // the system under test, so every thread it spins takes CPU from it.
  int threads = 1;
  // Accounts created and logged in at once during set-up (Argon2id makes
  // each cost ~50 ms of server CPU, so more only queues).
  int setup_concurrency = 8;
  // Items each seller registers during set-up; buyers pick from all of them.
  int items_per_seller = 20;
  // Items loaded before the set-up through the public API by extra sellers
  // that take no part in the runs (bench/catalog.h), so that the runs meet
  // a catalogue of this size; 0: none.
  int64_t catalog = 0;
  // Buyer accounts created before the set-up through the public API, each
  // with `history` purchases, by loaders that take no part in the runs, so
  // that the customer DB holds that many sessions' worth of accounts, carts
  // and purchases; 0: none.
  int64_t accounts = 0;
  int history = 5;
  // `limit` of SearchItemsForSale: one page of results, as a UI would ask.
  int search_limit = 20;
  // A call that takes longer than this fails (counted as an error).
  int timeout_s = 30;
  // When above 0, each run lasts this many seconds instead of `calls` calls
  // per client, or until SIGINT/SIGTERM ends it early (the results of what
  // ran are reported). A line on stderr marks the start of each run.
  int duration_s = 0;
  // Clients ride out outages instead of counting them as errors: a 503, a
  // 504 or a call without a reply is counted as `unavailable`, and the
  // client waits `retry_wait_ms` before its next call. A purchase carries an
  // Idempotency-Key and is repeated with it until it has a final answer.
  // After a write whose outcome is unknown, the client reads back its cart
  // (buyer) or its items (seller) before going on, so every later call is
  // still one the API must accept. A write on a kept-alive connection that
  // broke is not sent again unless it is a GET or keyed (the server may
  // have done it before it died). For fault tests (tests/faults).
  bool resilient = false;
  int retry_wait_ms = 100;
  // With `resilient`: after a write whose outcome is unknown (503, 504, no
  // reply) the client waits until this long after the write was sent before
  // it reads back its state. A DB service does not commit a write past its
  // caller's deadline (5 s from the REST server's call; docs/contract.md
  // §9), so by then the write has landed or never will, and the read back
  // tells which. Without the wait, a write still under way at a DB service
  // whose REST server died could land after the read.
  int settle_ms = 5500;
  // With `resilient`: writes every write call (with its outcome), every
  // failed call and the client's final state to this file, one JSON object
  // a line (format in bench/README.md), so that a checker can verify every
  // acknowledged write afterwards. Empty: no journal.
  std::string journal;
  // Seeds each client's random choices (client i uses seed + i).
  uint64_t seed = 1;
  // Round trips per hop of the floor (bench/floor.h) measured before the
  // set-up of every benchmark; 0: no floor.
  int floor_calls = 5000;
  // TLS files of the floor's gRPC hop (FloorOptions::tls_dir): give the
  // system's own (`marketplace up` writes data/tls), so that the hop runs
  // mutual TLS as the system's does. Empty: plaintext.
  std::string tls_dir;
  // How the floor's gRPC hop travels: "unix" (a Unix socket, no TLS), as
  // `marketplace up` connects the REST servers to the DB services unless
  // --no-unix, or "tcp" (TLS with tls_dir), as between hosts.
  std::string floor_grpc = "unix";
  // Names the result set, e.g. "SQLite"; shown by --compare.
  std::string label;
  // Where the JSON, the Markdown report and the charts go; empty: nowhere.
  std::string out_dir;
};

// Fills sellers/buyers/calls/runs from `options.scenario` for those not set
// on the command line (`explicit_*` false). kInvalidArgument for a scenario
// other than 0..3 or a size below 1.
// kInvalidArgument unless `transport` is "unix" or "tcp" (--floor-grpc).
Status CheckFloorGrpc(std::string_view transport);

Status ApplyScenario(BenchOptions& options, bool explicit_sellers, bool explicit_buyers,
                     bool explicit_calls, bool explicit_runs);

}  // namespace mp::bench
