#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench/results.h"
#include "common/status.h"

namespace mp::bench {

// Markdown for one result under a heading of `level` '#'s: how it was
// measured, the figures per call and overall (average over the runs with
// min–max), the throughput of each run, and any errors.
std::string ResultMarkdown(const BenchResult& result, int level);

// Writes DIR/report.md for all `results` (a summary, then one section per
// workload and scenario) with the charts it shows: throughput per scenario,
// and mean and p99 latency per call per scenario, for each workload.
// kUnavailable when the charts could not be drawn (the report and the
// charts' data are written all the same); kInternal when a file cannot be.
Status WriteReport(const std::filesystem::path& dir, const std::vector<BenchResult>& results);

// Puts result sets A and B side by side (e.g. SQLite and PostgreSQL),
// matched by ResultKey. Returns the Markdown; when `dir` is not empty also
// writes it to DIR/compare.md with its charts (compare-throughput.svg,
// compare-latency.svg). Errors as WriteReport's, after the Markdown is out.
Status WriteComparison(const std::filesystem::path& dir, const std::string& label_a,
                       const std::vector<BenchResult>& a, const std::string& label_b,
                       const std::vector<BenchResult>& b, std::string& markdown);

// The floor `result`'s latencies are read against (ReadAgainstFloor), if it
// was measured; nullopt otherwise.
std::optional<Floor> FloorFor(const BenchResult& result);
// One sentence on the floor of `result`, "" when it has none.
std::string FloorSentence(const BenchResult& result);

// The results' common non-empty label, else `fallback`.
std::string LabelOf(const std::vector<BenchResult>& results, const std::string& fallback);

}  // namespace mp::bench
