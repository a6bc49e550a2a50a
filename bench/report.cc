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

// Each latency figure with its multiple of the floor's same statistic.
std::vector<std::string> Row(const std::string& name, const FigureRanges& f, bool resilient,
                             const std::optional<Floor>& floor) {
  std::optional<double> floor_mean, floor_p50, floor_p99;
  if (floor) {
    floor_mean = floor->mean_ms();
    floor_p50 = floor->p50_ms();
    floor_p99 = floor->p99_ms();
  }
  std::vector<std::string> row = {
      name,
      Count(f.calls.avg),
      WithTimesFloor(WithRange(f.mean_ms, Ms), f.mean_ms.avg, floor_mean),
      WithTimesFloor(WithRange(f.p50_ms, Ms), f.p50_ms.avg, floor_p50),
      WithTimesFloor(WithRange(f.p99_ms, Ms), f.p99_ms.avg, floor_p99),
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

// Call types in the order of docs/contract.md §4, then any the tool does not know.
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
    "are expected and not errors. Both are totals over all runs. A result "
    "with the floor (one HTTP hop plus one gRPC hop, measured before the set-up; "
    "bench/README.md) of at most one seller and one buyer client gives each "
    "mean, p50 and p99 also as a multiple of the floor's same statistic: "
    "`0.49 = 1.4×` is 1.4 times the floor.\n\n";

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

std::optional<Floor> FloorFor(const BenchResult& r) {
  if (!r.floor || !ReadAgainstFloor(r.config.sellers, r.config.buyers)) return std::nullopt;
  return r.floor;
}

std::string FloorSentence(const BenchResult& r) {
  if (!r.floor) return "";
  const Floor& f = *r.floor;
  std::string out =
      Cat({"Floor, measured before the set-up (one HTTP hop + one gRPC hop on loopback, ",
           Count(static_cast<double>(f.http.calls)), " round trips each; HTTP ",
           f.https ? "over TLS" : "plain", ", gRPC ", f.grpc_transport(), "): mean ",
           Ms(f.mean_ms()), " ms (HTTP ", Ms(f.http.mean_ms), " + gRPC ", Ms(f.grpc.mean_ms),
           "), p50 ", Ms(f.p50_ms()), " ms, p99 ", Ms(f.p99_ms()), " ms."});
  return out;
}

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
  if (c.catalog > 0) {
    out += Cat({"A catalogue of ", std::to_string(c.catalog),
                " more items was loaded first, through the API, in ", Ms(r.catalog_load_s),
                " s (bench/catalog.h).\n\n"});
  }
  if (c.accounts > 0) {
    out += Cat({std::to_string(c.accounts), " more buyer accounts with ", std::to_string(c.history),
                " purchases each were loaded first, through the API, in ", Ms(r.accounts_load_s),
                " s.\n\n"});
  }
  const std::optional<Floor> floor = FloorFor(r);
  if (floor) {
    const double mean = r.summary.overall.mean_ms.avg;
    out += Cat({FloorSentence(r),
                " Each mean, p50 and p99 below is also a multiple of the floor's same statistic (",
                Ms(mean), " ms = ", TimesFloor(mean, floor->mean_ms()), " floor).\n\n"});
  } else if (r.floor) {
    out += FloorSentence(r) +
           " No multiples: with more than one seller and one buyer client, latency is mostly "
           "queueing.\n\n";
  }
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
    table.Add(Row(name, r.summary.by_call.at(name), c.resilient, floor));
  }
  std::vector<std::string> all = Row("**all calls**", r.summary.overall, c.resilient, floor);
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
    // Row's cells: name, calls, mean, p50, p99, calls/s, errors, declined.
    std::vector<std::string> row = Row("", f, /*resilient=*/false, FloorFor(r));
    summary.Add({r.config.workload, ScenarioTitle(r.config), row[1], row[5], row[2], row[3], row[4],
                 row[6], row[7]});
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
