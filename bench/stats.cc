#include "bench/stats.h"

#include <algorithm>
#include <cmath>
#include <span>

namespace mp::bench {
namespace {

constexpr double kMsPerNs = 1e-6;

// Nearest rank: the smallest latency with at least p of all at or below it.
int64_t Percentile(std::span<const int64_t> sorted, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

// Calls of a set that have no latency, by why.
struct Failed {
  int64_t errors = 0;
  int64_t unavailable = 0;
  int64_t interrupted = 0;
  int64_t all() const { return errors + unavailable + interrupted; }
};

// `latencies` sorted ascending.
Figures Compute(std::span<const int64_t> latencies, const Failed& failed, int64_t declined,
                double wall_s) {
  Figures f;
  f.calls = static_cast<int64_t>(latencies.size()) + failed.all();
  f.errors = failed.errors;
  f.unavailable = failed.unavailable;
  f.interrupted = failed.interrupted;
  f.declined = declined;
  f.throughput = wall_s > 0 ? static_cast<double>(f.calls) / wall_s : 0;
  if (latencies.empty()) return f;
  double sum = 0;
  for (int64_t ns : latencies) sum += static_cast<double>(ns);
  f.mean_ms = sum / static_cast<double>(latencies.size()) * kMsPerNs;
  f.p50_ms = static_cast<double>(Percentile(latencies, 0.50)) * kMsPerNs;
  f.p99_ms = static_cast<double>(Percentile(latencies, 0.99)) * kMsPerNs;
  f.max_ms = static_cast<double>(latencies.back()) * kMsPerNs;
  return f;
}

bool HasLatency(const Figures& f) { return f.calls > f.errors + f.unavailable + f.interrupted; }

void Add(Range& r, double value, int n) {
  if (n == 0 || value < r.min) r.min = value;
  if (n == 0 || value > r.max) r.max = value;
  r.avg += (value - r.avg) / (n + 1);
}

void Add(FigureRanges& out, const Figures& f, int n_calls, int n_latency) {
  Add(out.calls, static_cast<double>(f.calls), n_calls);
  Add(out.throughput, f.throughput, n_calls);
  out.errors += f.errors;
  out.declined += f.declined;
  out.unavailable += f.unavailable;
  out.interrupted += f.interrupted;
  if (!HasLatency(f)) return;
  Add(out.mean_ms, f.mean_ms, n_latency);
  Add(out.p50_ms, f.p50_ms, n_latency);
  Add(out.p99_ms, f.p99_ms, n_latency);
  Add(out.max_ms, f.max_ms, n_latency);
}

}  // namespace

RunFigures ComputeRun(int run, double wall_s, std::vector<Sample>& samples) {
  std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
    return a.type != b.type ? a.type < b.type : a.ns < b.ns;
  });
  RunFigures out;
  out.run = run;
  out.wall_s = wall_s;
  std::vector<int64_t> all;
  std::vector<int64_t> of_type;
  all.reserve(samples.size());
  Failed failed;
  int64_t declined = 0;
  for (size_t begin = 0; begin < samples.size();) {
    CallType type = samples[begin].type;
    Failed type_failed;
    int64_t type_declined = 0;
    of_type.clear();
    size_t end = begin;
    for (; end < samples.size() && samples[end].type == type; ++end) {
      const Sample& s = samples[end];
      switch (s.outcome) {
        case Outcome::kError:
          ++type_failed.errors;
          continue;
        case Outcome::kUnavailable:
          ++type_failed.unavailable;
          continue;
        case Outcome::kInterrupted:
          ++type_failed.interrupted;
          continue;
        case Outcome::kDeclined:
          ++type_declined;
          break;
        case Outcome::kOk:
          break;
      }
      of_type.push_back(s.ns);  // already in order
    }
    out.by_call[std::string(CallName(type))] = Compute(of_type, type_failed, type_declined, wall_s);
    all.insert(all.end(), of_type.begin(), of_type.end());
    failed.errors += type_failed.errors;
    failed.unavailable += type_failed.unavailable;
    failed.interrupted += type_failed.interrupted;
    declined += type_declined;
    begin = end;
  }
  std::sort(all.begin(), all.end());
  out.overall = Compute(all, failed, declined, wall_s);
  return out;
}

Figures LatencyFigures(std::vector<int64_t>& latencies_ns, double wall_s) {
  std::sort(latencies_ns.begin(), latencies_ns.end());
  return Compute(latencies_ns, Failed{}, 0, wall_s);
}

Summary Summarize(const std::vector<RunFigures>& runs) {
  Summary s;
  int n = 0;
  std::map<std::string, int> latency_runs;
  int overall_latency_runs = 0;
  for (const RunFigures& run : runs) {
    Add(s.overall, run.overall, n, overall_latency_runs);
    overall_latency_runs += HasLatency(run.overall);
    for (const auto& [name, figures] : run.by_call) {
      if (!s.by_call.contains(name)) {
        // Absent from the earlier runs: 0 calls there.
        for (int i = 0; i < n; ++i) Add(s.by_call[name], Figures{}, i, 0);
      }
      int& with_latency = latency_runs[name];
      Add(s.by_call[name], figures, n, with_latency);
      with_latency += HasLatency(figures);
    }
    for (auto& [name, ranges] : s.by_call) {
      if (!run.by_call.contains(name)) Add(ranges, Figures{}, n, latency_runs[name]);
    }
    ++n;
  }
  return s;
}

}  // namespace mp::bench
