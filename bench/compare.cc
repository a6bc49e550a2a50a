// WriteComparison of report.h: two result sets side by side.
#include <algorithm>
#include <cstdio>
#include <map>

#include "bench/chart.h"
#include "bench/markdown.h"
#include "bench/report.h"

namespace mp::bench {
namespace fs = std::filesystem;

namespace {

std::string Ratio(double b, double a) {
  if (a <= 0) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f×", b / a);
  return buf;
}

std::string MeanCell(const FigureRanges& f, const std::optional<Floor>& floor) {
  return WithTimesFloor(Ms(f.mean_ms.avg), f.mean_ms.avg,
                        floor ? std::optional(floor->mean_ms()) : std::nullopt);
}

std::string P99Cell(const FigureRanges& f, const std::optional<Floor>& floor) {
  return WithTimesFloor(Ms(f.p99_ms.avg), f.p99_ms.avg,
                        floor ? std::optional(floor->p99_ms()) : std::nullopt);
}

std::map<std::string, const BenchResult*> ByKey(const std::vector<BenchResult>& results) {
  std::map<std::string, const BenchResult*> out;
  for (const BenchResult& r : results) out[ResultKey(r.config)] = &r;
  return out;
}

std::string PerCallTable(const BenchResult& a, const BenchResult& b, const std::string& la,
                         const std::string& lb) {
  MarkdownTable t({"call", "mean ms " + la, "mean ms " + lb, "p99 ms " + la, "p99 ms " + lb,
                   "calls/s " + la, "calls/s " + lb});
  std::vector<std::string> names;
  for (size_t i = 0; i < kCallTypeCount; ++i) {
    std::string name(CallName(CallAt(i)));
    if (a.summary.by_call.contains(name) || b.summary.by_call.contains(name)) {
      names.push_back(name);
    }
  }
  auto cells = [](const BenchResult& r, const std::string& name, auto pick) -> std::string {
    auto it = r.summary.by_call.find(name);
    return it == r.summary.by_call.end() ? "–" : pick(it->second);
  };
  // Each side's latencies as multiples of its own floor.
  const std::optional<Floor> floor_a = FloorFor(a), floor_b = FloorFor(b);
  auto mean = [](const std::optional<Floor>& floor) {
    return [&floor](const FigureRanges& f) { return MeanCell(f, floor); };
  };
  auto p99 = [](const std::optional<Floor>& floor) {
    return [&floor](const FigureRanges& f) { return P99Cell(f, floor); };
  };
  auto tput = [](const FigureRanges& f) { return Count(f.throughput.avg); };
  for (const std::string& n : names) {
    t.Add({n, cells(a, n, mean(floor_a)), cells(b, n, mean(floor_b)), cells(a, n, p99(floor_a)),
           cells(b, n, p99(floor_b)), cells(a, n, tput), cells(b, n, tput)});
  }
  const FigureRanges &fa = a.summary.overall, &fb = b.summary.overall;
  t.Add({"**all calls**", MeanCell(fa, floor_a), MeanCell(fb, floor_b), P99Cell(fa, floor_a),
         P99Cell(fb, floor_b), tput(fa), tput(fb)});
  return t.ToString();
}

}  // namespace

Status WriteComparison(const fs::path& dir, const std::string& la,
                       const std::vector<BenchResult>& a, const std::string& lb,
                       const std::vector<BenchResult>& b, std::string& md) {
  auto in_a = ByKey(a), in_b = ByKey(b);
  std::vector<std::pair<const BenchResult*, const BenchResult*>> pairs;
  std::vector<std::string> only;
  for (const BenchResult& r : a) {
    std::string key = ResultKey(r.config);
    if (in_b.contains(key)) {
      pairs.emplace_back(&r, in_b[key]);
    } else {
      only.push_back(key + " (only in " + la + ")");
    }
  }
  for (const BenchResult& r : b) {
    if (!in_a.contains(ResultKey(r.config)))
      only.push_back(ResultKey(r.config) + " (only in " + lb + ")");
  }
  md = "# marketplace-bench comparison: " + la + " vs " + lb + "\n\n";
  md += "Each figure is the average over the runs of one result; `" + lb + "/" + la +
        "` divides the throughputs. Latencies are client-side, in "
        "milliseconds; where a side measured the floor (one HTTP hop plus one gRPC "
        "hop), its latencies at one seller and one buyer client are also given as a "
        "multiple of its own floor's same statistic (`0.49 = 1.4×`).\n\n";
  MarkdownTable overall({"workload", "scenario", "calls/s " + la, "calls/s " + lb, lb + "/" + la,
                         "mean ms " + la, "mean ms " + lb, "p99 ms " + la, "p99 ms " + lb,
                         "errors " + la, "errors " + lb});
  BarChart tput;
  tput.name = "compare-throughput";
  tput.title = "Throughput, " + la + " vs " + lb + " (whiskers: min–max of the runs)";
  tput.y_label = "calls/s";
  tput.whiskers = true;
  tput.series = {la, lb};
  BarChart latency = tput;
  latency.name = "compare-latency";
  latency.title = "Mean latency of all calls, " + la + " vs " + lb;
  latency.y_label = "mean latency (ms, log scale)";
  latency.log_y = true;
  for (const auto& [ra, rb] : pairs) {
    const FigureRanges &fa = ra->summary.overall, &fb = rb->summary.overall;
    const std::optional<Floor> floor_a = FloorFor(*ra), floor_b = FloorFor(*rb);
    overall.Add({ra->config.workload, ScenarioTitle(ra->config), Count(fa.throughput.avg),
                 Count(fb.throughput.avg), Ratio(fb.throughput.avg, fa.throughput.avg),
                 MeanCell(fa, floor_a), MeanCell(fb, floor_b), P99Cell(fa, floor_a),
                 P99Cell(fb, floor_b), Count(static_cast<double>(fa.errors)),
                 Count(static_cast<double>(fb.errors))});
    std::string group = ra->config.workload + " " + ScenarioShort(ra->config);
    tput.groups.push_back({group, {fa.throughput, fb.throughput}});
    latency.groups.push_back({group, {fa.mean_ms, fb.mean_ms}});
  }
  md += overall.ToString() + "\n";
  if (!only.empty()) {
    md += "Not compared (no match on the other side):";
    for (const std::string& o : only) md += Cat({" ", o, &o == &only.back() ? "." : ";"});
    md += "\n\n";
  }
  if (!dir.empty())
    md +=
        "![Throughput](compare-throughput.svg)\n\n![Latency](compare-latency."
        "svg)\n\n";
  for (const auto& [ra, rb] : pairs) {
    md += "## " + ra->config.workload + ", " + ScenarioTitle(ra->config) + "\n\n";
    for (const auto& [label, r] : {std::pair{&la, ra}, std::pair{&lb, rb}}) {
      if (FloorFor(*r)) md += Cat({"**", *label, "**: ", FloorSentence(*r), "\n\n"});
    }
    md += PerCallTable(*ra, *rb, la, lb) + "\n";
  }
  if (dir.empty()) return Status();
  std::error_code ec;
  fs::create_directories(dir, ec);
  MP_RETURN_IF_ERROR(WriteTextFile(dir / "compare.md", md));
  if (pairs.empty()) return Status();
  Status charts = DrawBarChart(dir, tput);
  Status s = DrawBarChart(dir, latency);
  return charts.ok() ? s : charts;
}

}  // namespace mp::bench
