#pragma once

#include <optional>
#include <string>

#include "bench/stats.h"
#include "common/status.h"

namespace mp::bench {

// The floor: what one read of scenario 1 costs at the least on this machine
// with this code, so that a benchmark figure can be read against it. A read
// is one HTTP round trip to a REST server plus gRPC calls to the DB services
// made in parallel, so the floor is one HTTP hop plus one gRPC hop, each
// measured alone, one at a time, on loopback, in the load generator's
// process (bench/README.md, "The floor").
struct Floor {
  // Keep-alive HTTP/1.1 round trips to an HttpServer (src/http) whose one
  // route answers a small JSON body; `calls` of them, warm-up excluded.
  Figures http;
  // Unary calls (ProductDb/GetSellerRating, a constant) to a GrpcServer (src/rpc)
  // through a ChannelPool channel, one outstanding at a time.
  Figures grpc;
  // Whether the gRPC hop ran mutual TLS (the --tls-dir files) or plaintext.
  bool grpc_tls = false;
  // Whether it ran over a Unix socket (then never TLS), as `marketplace up`
  // connects the REST servers to the DB services, or TCP.
  bool grpc_unix = false;
  // Whether the HTTP hop ran HTTPS. Always false so far: the bench's
  // clients speak plain HTTP (HttpConnection), so the REST servers it can
  // measure do too.
  bool https = false;

  // "Unix socket", "mutual TLS" or "plaintext": how the gRPC hop ran.
  std::string grpc_transport() const;

  // Each statistic of the floor is the HTTP hop's plus the gRPC hop's. For
  // p50 and p99 that sum is not the percentile of a sum of the two; it is
  // what a read pays when both hops are at that percentile.
  double mean_ms() const { return http.mean_ms + grpc.mean_ms; }
  double p50_ms() const { return http.p50_ms + grpc.p50_ms; }
  double p99_ms() const { return http.p99_ms + grpc.p99_ms; }
};

struct FloorOptions {
  // Timed round trips per hop, after a warm-up of a tenth as many (at least
  // 50), which pays for connecting, the TLS handshakes and gRPC's lazy
  // set-up. REQUIRES: > 0.
  int calls = 5000;
  // Holds ca.pem, frontend.pem/.key (the client side, as the REST servers
  // use) and customer-db.pem/.key (the in-process server), as `marketplace
  // up` writes them into data/tls. Empty: plaintext gRPC.
  std::string tls_dir;
  // The gRPC hop over a Unix socket in a private temporary directory, as
  // `marketplace up` runs by default (tls_dir then unused), instead of TCP.
  bool grpc_unix = false;
};

// Starts both servers on 127.0.0.1 with free ports, times both hops, stops
// the servers. kFailedPrecondition when the TLS files cannot be used;
// kUnavailable or another error when a round trip fails. Blocks SIGINT and
// SIGTERM meanwhile in the threads it starts (see floor.cc).
StatusOr<Floor> MeasureFloor(const FloorOptions& options);

// "1.4×": `ms` as a multiple of `floor_ms`, two significant digits (one
// decimal below 10×, none above); "" when floor_ms is not above 0.
std::string TimesFloor(double ms, double floor_ms);
// `cell` followed by " = 1.4×" (TimesFloor), or `cell` alone when there is
// no floor or the multiple cannot be formed.
std::string WithTimesFloor(const std::string& cell, double ms, std::optional<double> floor_ms);

// Whether a result's figures are read against the floor: at most one seller
// and one buyer client (scenario 1), so that a call waits for no other. With
// more clients latency is mostly queueing, and multiples would mislead.
bool ReadAgainstFloor(int sellers, int buyers);

// A Markdown paragraph and table of the floor, under a heading of `level`
// '#'s (none when level is 0).
std::string FloorMarkdown(const Floor& floor, int level);

}  // namespace mp::bench
