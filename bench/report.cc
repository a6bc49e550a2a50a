#include "bench/report.h"

#include <algorithm>
#include <set>

#include "bench/chart.h"
#include "bench/markdown.h"
#include "bench/workload.h"

namespace mp::bench {
namespace fs = std::filesystem;

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::vector<std::string> Row(const std::string& name, const FigureRanges& f, bool resilient) {
  std::vector<std::string> row = {name,
                                  Count(f.calls.avg),
                                  WithRange(f.mean_ms, Ms),
                                  WithRange(f.p50_ms, Ms),
                                  WithRange(f.p99_ms, Ms),
                                  WithRange(f.throughput, Count),
                                  Count(static_cast<double>(f.errors)),
                                  Count(static_cast<double>(f.declined))};
  if (resilient) {
    row.push_back(Count(static_cast<double>(f.unavailable)));
    row.push_back(Count(static_cast<double>(f.interrupted)));
  }
  return row;
}

// A resilient run's outages and a few of the calls that failed in them.
std::string OutagesMarkdown(const BenchResult& r) {
  std::string out =
      "Resilient clients: a 503, a 504 or a call without a reply counts as `unavailable`, a "
      "retried purchase that recovery undid as `interrupted`; neither is an error. Outages "
      "(calls failing as unavailable, less than 1 s apart): ";
  if (r.outages.empty()) return out + "none.\n\n";
  out += "\n\n";
  MarkdownTable table({"run", "from (s into the run)", "lasted (s)", "failed calls"});
  for (const Outage& o : r.outages) {
    table.Add(
        {std::to_string(o.run), Ms(o.start_s), Ms(o.seconds), Count(static_cast<double>(o.calls))});
  }
  out += table.ToString() + "\n";
  if (!r.unavailable_samples.empty()) {
    out += "Some of the unavailable calls:\n\n";
    for (const std::string& e : r.unavailable_samples) out.append("- `").append(e).append("`\n");
    out += "\n";
  }
  return out;
}

// Call types in the order of SPEC §4, then any the tool does not know.
std::vector<std::string> CallNamesOf(const std::vector<const BenchResult*>& results) {
  std::set<std::string> seen;
  for (const BenchResult* r : results) {
    for (const auto& [name, f] : r->summary.by_call) seen.insert(name);
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < kCallTypeCount; ++i) {
    std::string name(CallName(CallAt(i)));
    if (seen.erase(name)) out.push_back(name);
  }
  out.insert(out.end(), seen.begin(), seen.end());
  return out;
}

const char* kIntro =
    "Latencies are client-side (call made → reply received, monotonic clock), "
    "in milliseconds; p50 and p99 are nearest-rank percentiles over every call "
    "of a run. Throughput is the number of calls completed by all clients "
    "together divided by the wall time of the run. Every client has its own "
    "session on its own keep-alive connection and makes its calls in a closed "
    "loop (the next call goes when the previous reply has arrived); all "
    "clients start together. Each figure is the average over the runs, with "
    "the lowest and highest run in brackets; `calls/run` is the average number "
    "of calls per run. Errors are calls with an unexpected status or no reply; "
    "`declined` counts purchases the payment service declined (402), which "
    "are expected and not errors. Both are totals over all runs.\n\n";

Status LatencyChart(const fs::path& dir, const std::string& workload, bool p99,
                    const std::vector<const BenchResult*>& results) {
  BarChart chart;
  chart.name = (p99 ? "p99-" : "latency-") + workload;
  chart.title = std::string(p99 ? "p99" : "Mean") + " latency per call, " + workload + " workload";
  chart.y_label = std::string(p99 ? "p99" : "mean") + " latency (ms, log scale)";
  chart.log_y = true;
  for (const BenchResult* r : results) chart.series.push_back(ScenarioShort(r->config));
  auto cell = [&](const FigureRanges& f) -> std::optional<Range> {
    const Range& range = p99 ? f.p99_ms : f.mean_ms;
    if (range.avg <= 0) return std::nullopt;
    return range;
  };
  for (const std::string& name : CallNamesOf(results)) {
    BarChart::Group g{name, {}};
    for (const BenchResult* r : results) {
      auto it = r->summary.by_call.find(name);
      g.cells.push_back(it == r->summary.by_call.end() ? std::nullopt : cell(it->second));
    }
    chart.groups.push_back(std::move(g));
  }
  BarChart::Group all{"all calls", {}};
  for (const BenchResult* r : results) all.cells.push_back(cell(r->summary.overall));
  chart.groups.push_back(std::move(all));
  return DrawBarChart(dir, chart);
}

Status ThroughputChart(const fs::path& dir, const std::vector<std::string>& workloads,
                       const std::vector<BenchResult>& results) {
  BarChart chart;
  chart.name = "throughput";
  chart.title = "Throughput per scenario (all clients; whiskers: min–max of the runs)";
  chart.y_label = "calls/s";
  chart.whiskers = true;
  chart.series = workloads;
  std::vector<std::string> scenarios;
  for (const BenchResult& r : results) {
    std::string s = ScenarioShort(r.config);
    if (std::find(scenarios.begin(), scenarios.end(), s) == scenarios.end()) scenarios.push_back(s);
  }
  for (const std::string& s : scenarios) {
    BarChart::Group g{s, std::vector<std::optional<Range>>(workloads.size())};
    for (const BenchResult& r : results) {
      if (ScenarioShort(r.config) != s) continue;
      auto w = std::find(workloads.begin(), workloads.end(), r.config.workload);
      g.cells[static_cast<size_t>(w - workloads.begin())] = r.summary.overall.throughput;
    }
    chart.groups.push_back(std::move(g));
  }
  return DrawBarChart(dir, chart);
}

}  // namespace

std::string LabelOf(const std::vector<BenchResult>& results, const std::string& fallback) {
  if (results.empty() || results.front().config.label.empty()) return fallback;
  for (const BenchResult& r : results) {
    if (r.config.label != results.front().config.label) return fallback;
  }
  return results.front().config.label;
}

std::string ResultMarkdown(const BenchResult& r, int level) {
  const BenchConfig& c = r.config;
  std::string out = std::string(static_cast<size_t>(level), '#') + " " + c.workload + ", " +
                    ScenarioTitle(c) + (c.label.empty() ? "" : " — " + c.label) + "\n\n";
  std::string per_run = c.duration_s > 0 ? Cat({"runs of ", std::to_string(c.duration_s), " s, "})
                                         : Cat({std::to_string(c.calls), " calls each per run, "});
  out += std::to_string(c.sellers) + " sellers + " + std::to_string(c.buyers) + " buyers, " +
         per_run + std::to_string(c.runs) + " runs, " + std::to_string(c.threads) +
         " load-generator thread(s); set-up " + Ms(r.setup_s) + " s. Seller server(s) " +
         Join(c.seller_servers) + ", buyer server(s) " + Join(c.buyer_servers) + ". Started " +
         r.started + " on " + r.host + " (" + std::to_string(r.cpus) + " CPUs).\n\n";
  std::vector<std::string> header = {
      "call",   "calls/run", "mean ms",           "p50 ms",
      "p99 ms", "calls/s",   "errors (all runs)", "declined (all runs)"};
  if (c.resilient) {
    header.push_back("unavailable (all runs)");
    header.push_back("interrupted (all runs)");
  }
  MarkdownTable table(std::move(header));
  std::vector<const BenchResult*> one = {&r};
  for (const std::string& name : CallNamesOf(one)) {
    table.Add(Row(name, r.summary.by_call.at(name), c.resilient));
  }
  std::vector<std::string> all = Row("**all calls**", r.summary.overall, c.resilient);
  table.Add(std::move(all));
  out += table.ToString() + "\n";
  out += "Throughput of each run (calls/s):";
  for (const RunFigures& run : r.runs) {
    out.append(" ").append(std::to_string(run.run)).append(": ");
    out.append(Count(run.overall.throughput)).append(&run == &r.runs.back() ? "." : ";");
  }
  out += "\n\n";
  if (c.resilient) out += OutagesMarkdown(r);
  if (r.summary.overall.errors > 0) {
    out += Cat({"**", Count(static_cast<double>(r.summary.overall.errors)),
                " errors.** Some of them:\n\n"});
    for (const std::string& e : r.error_samples) out += "- `" + e + "`\n";
    out += "\n";
  }
  return out;
}

Status WriteReport(const fs::path& dir, const std::vector<BenchResult>& results) {
  std::vector<std::string> workloads;
  for (const BenchResult& r : results) {
    if (std::find(workloads.begin(), workloads.end(), r.config.workload) == workloads.end()) {
      workloads.push_back(r.config.workload);
    }
  }
  std::string label = LabelOf(results, "");
  std::string md = Cat({"# marketplace-bench report", label.empty() ? "" : ": ", label, "\n\n"});
  md += kIntro;
  MarkdownTable summary({"workload", "scenario", "calls/run", "calls/s", "mean ms", "p50 ms",
                         "p99 ms", "errors (all runs)", "declined (all runs)"});
  for (const BenchResult& r : results) {
    const FigureRanges& f = r.summary.overall;
    summary.Add({r.config.workload, ScenarioTitle(r.config), Count(f.calls.avg),
                 WithRange(f.throughput, Count), WithRange(f.mean_ms, Ms), WithRange(f.p50_ms, Ms),
                 WithRange(f.p99_ms, Ms), Count(static_cast<double>(f.errors)),
                 Count(static_cast<double>(f.declined))});
  }
  md += "## Summary\n\n" + summary.ToString() + "\n![Throughput per scenario](throughput.svg)\n\n";
  Status charts = ThroughputChart(dir, workloads, results);
  for (const std::string& w : workloads) {
    std::vector<const BenchResult*> of_workload;
    for (const BenchResult& r : results) {
      if (r.config.workload == w) of_workload.push_back(&r);
    }
    auto workload = ParseWorkload(w);
    md += "## " + w + " workload\n\n";
    if (workload.ok()) md += "Mix: " + MixDescription(*workload) + ".\n\n";
    md += "![Mean latency per call](latency-" + w + ".svg)\n\n![p99 latency per call](p99-" + w +
          ".svg)\n\n";
    for (bool p99 : {false, true}) {
      Status s = LatencyChart(dir, w, p99, of_workload);
      if (charts.ok()) charts = s;
    }
    for (const BenchResult* r : of_workload) md += ResultMarkdown(*r, 3);
  }
  MP_RETURN_IF_ERROR(WriteTextFile(dir / "report.md", md));
  return charts;
}

}  // namespace mp::bench
