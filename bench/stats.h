#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/call_type.h"

namespace mp::bench {

// One call as the client saw it: made -> reply received, on a monotonic clock.
struct Sample {
  int64_t ns = 0;
  CallType type = CallType::kGetItem;
  Outcome outcome = Outcome::kOk;
};

// Figures of a set of calls in one run. Latencies are over the calls that
// got the expected status or a declined payment; errors are counted only.
struct Figures {
  int64_t calls = 0;  // every call completed, errors included
  int64_t errors = 0;
  int64_t declined = 0;
  // Resilient runs only (Outcome::kUnavailable, kInterrupted): counted like
  // errors, without latency, but apart from them.
  int64_t unavailable = 0;
  int64_t interrupted = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double throughput = 0;  // calls / wall time of the run, per second
};

struct RunFigures {
  int run = 0;  // 1-based
  double wall_s = 0;
  Figures overall;
  std::map<std::string, Figures> by_call;  // by CallName
};

// Figures of one run from all of its samples (reordered in place).
// Percentiles are nearest-rank over the exact latencies.
RunFigures ComputeRun(int run, double wall_s, std::vector<Sample>& samples);

// Figures of plain latencies (ns, reordered in place), all of them
// successful: as ComputeRun's, for the floor's round trips (bench/floor.h).
Figures LatencyFigures(std::vector<int64_t>& latencies_ns, double wall_s);

// A figure over the runs: its average, lowest and highest value.
struct Range {
  double avg = 0;
  double min = 0;
  double max = 0;
};

struct FigureRanges {
  Range calls;
  Range mean_ms;
  Range p50_ms;
  Range p99_ms;
  Range max_ms;
  Range throughput;
  int64_t errors = 0;  // summed over the runs
  int64_t declined = 0;
  int64_t unavailable = 0;
  int64_t interrupted = 0;
};

struct Summary {
  FigureRanges overall;
  std::map<std::string, FigureRanges> by_call;
};

// Averages each figure over the runs, with min and max. A call type missing
// from a run counts as 0 calls there; its latencies come from the runs
// that made it.
Summary Summarize(const std::vector<RunFigures>& runs);

}  // namespace mp::bench
