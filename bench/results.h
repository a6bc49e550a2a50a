#pragma once

#include <boost/json/value.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_options.h"
#include "bench/floor.h"
#include "bench/stats.h"
#include "common/status.h"

namespace mp::bench {

// What was measured and how; everything a report needs to say so.
struct BenchConfig {
  std::string label;     // e.g. "SQLite"; may be empty
  std::string workload;  // "read" or "mixed"
  int scenario = 0;      // 1..3, 0 for a custom size
  int sellers = 0;
  int buyers = 0;
  int calls = 0;  // per client per run
  int runs = 0;
  int threads = 0;
  int items_per_seller = 0;
  int64_t catalog = 0;   // items loaded before the set-up (--catalog)
  int64_t accounts = 0;  // buyer accounts loaded before the set-up (--accounts)
  int history = 0;       // purchases of each of them (--history)
  int search_limit = 0;
  std::vector<std::string> seller_servers;
  std::vector<std::string> buyer_servers;
  uint64_t seed = 0;
  int duration_s = 0;      // > 0: runs of this length instead of `calls`
  bool resilient = false;  // outages counted apart (BenchOptions::resilient)
};

// A stretch of a resilient run in which calls failed as unavailable: from
// the start of its first such call to the end of its last; failures less
// than a second apart belong to one stretch. The clients' next calls, at
// most --retry-wait later, went through.
struct Outage {
  int run = 0;
  double start_s = 0;  // since the start of the run
  double seconds = 0;
  int64_t calls = 0;  // calls that failed in it
};

// The raw result of one benchmark: every run and the summary over them.
struct BenchResult {
  BenchConfig config;
  std::string started;  // UTC, ISO 8601
  std::string host;
  int cpus = 0;
  double setup_s = 0;
  double catalog_load_s = 0;   // loading the catalogue, within setup_s
  double accounts_load_s = 0;  // loading the accounts, within setup_s
  std::vector<RunFigures> runs;
  Summary summary;
  // A few of the errors seen, for people: call, status and body.
  std::vector<std::string> error_samples;
  // Resilient runs: when calls failed as unavailable, and a few of them.
  std::vector<Outage> outages;
  std::vector<std::string> unavailable_samples;
  // Measured before the set-up (bench/floor.h); absent in results written
  // before the floor was, and in runs with --floor-calls 0.
  std::optional<Floor> floor;
};

BenchConfig ConfigFrom(const BenchOptions& options);

// "read-s1" for a preset, "read-2+2x20" for a custom size ("read-2+2x60s"
// for runs of 60 s), with "-resilient" appended for resilient runs: the result's
// file name (plus ".json") and what --compare matches results by.
std::string ResultKey(const BenchConfig& config);
// "scenario 1 (1+1)" or "2+2 clients".
std::string ScenarioTitle(const BenchConfig& config);
// Short column label: "s1 (1+1)" or "2+2".
std::string ScenarioShort(const BenchConfig& config);

boost::json::value ToJson(const BenchResult& result);
// kInvalidArgument when `value` is not a result written by ToJson.
StatusOr<BenchResult> ResultFromJson(const boost::json::value& value);

// Writes DIR/<key>.json.
Status SaveResult(const std::filesystem::path& dir, const BenchResult& result);
// Reads one result file, or every *.json result in a directory (files that
// are not results are skipped), sorted by workload then clients.
// kNotFound when there is none; kInvalidArgument for a broken file.
StatusOr<std::vector<BenchResult>> LoadResults(const std::filesystem::path& path);

}  // namespace mp::bench
