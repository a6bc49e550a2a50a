#pragma once

#include <string>

#include "bench/bench_options.h"

namespace mp::bench {

// Exit statuses of marketplace-bench.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // set-up failed, or results could not be read or written
inline constexpr int kExitErrors = 3;  // the benchmark ran, but some calls failed

// Measures the floor (unless options.floor_calls is 0), sets up, makes
// options.runs timed runs, prints the figures to stdout and,
// with options.out_dir, saves the result as JSON there and rewrites the
// report (report.md and charts) from every result in that directory, so
// that scenarios run one after another end up in one report.
int RunBenchmark(const BenchOptions& options);

// Measures the floor (options.floor_calls round trips per hop, TLS from
// options.tls_dir), prints it as Markdown and returns the exit status.
int RunFloor(const BenchOptions& options);

// Rewrites the report of the results in `dir` (no benchmark).
int RunReport(const std::string& dir);

// Compares result sets `a` and `b` (each a result file or a directory of
// them). Prints the Markdown, and writes it with charts into `out_dir`
// when that is not empty.
int RunCompare(const std::string& a, const std::string& b, const std::string& out_dir);

}  // namespace mp::bench
