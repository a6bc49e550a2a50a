#include "bench/bench.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <thread>

#include "bench/floor.h"
#include "bench/progress.h"
#include "bench/report.h"
#include "bench/results.h"
#include "bench/runner.h"
#include "common/flags.h"

namespace mp::bench {
namespace fs = std::filesystem;

namespace {

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string HostName() {
  char buf[256] = {};
  return gethostname(buf, sizeof buf - 1) == 0 ? buf : "unknown";
}

// Charts are a convenience: without gnuplot the figures are all there.
int WriteReportOf(const fs::path& dir) {
  auto results = LoadResults(dir);
  if (!results.ok()) {
    std::cerr << "marketplace-bench: " << results.status().message() << "\n";
    return kExitFailed;
  }
  Status s = WriteReport(dir, *results);
  if (!s.ok()) std::cerr << "marketplace-bench: " << s.message() << "\n";
  if (s.code() != StatusCode::kOk && s.code() != StatusCode::kUnavailable) return kExitFailed;
  std::cerr << "marketplace-bench: report in " << (dir / "report.md").string() << "\n";
  return kExitOk;
}

}  // namespace

int RunBenchmark(const BenchOptions& options) {
  Progress progress;
  BenchResult result;
  result.config = ConfigFrom(options);
  result.started = UtcNow();
  result.host = HostName();
  result.cpus = static_cast<int>(std::thread::hardware_concurrency());
  if (options.floor_calls > 0) {
    // First, while the system under test is idle and the load generator has
    // no clients yet.
    std::cerr << "marketplace-bench: measuring the floor\n";
    auto floor = MeasureFloor({.calls = options.floor_calls,
                               .tls_dir = options.tls_dir,
                               .grpc_unix = options.floor_grpc == "unix"});
    if (!floor.ok()) {
      std::cerr << "marketplace-bench: floor: " << floor.status().message() << "\n";
      return kExitFailed;
    }
    result.floor = *floor;
  }
  {
    Runner runner(options, progress);
    auto setup_start = std::chrono::steady_clock::now();
    if (Status s = runner.Setup(); !s.ok()) {
      progress.Finish();
      std::cerr << "marketplace-bench: set-up failed: " << s.message() << "\n";
      return kExitFailed;
    }
    result.setup_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - setup_start).count();
    result.catalog_load_s = runner.catalog_load_s();
    result.accounts_load_s = runner.accounts_load_s();
    for (int run = 1; run <= options.runs; ++run) {
      Runner::RunSamples samples = runner.Run(run);
      result.runs.push_back(ComputeRun(run, samples.wall_s, samples.samples));
      for (std::string& e : runner.TakeErrorSamples()) {
        if (result.error_samples.size() < 20) result.error_samples.push_back(std::move(e));
      }
      for (std::string& e : runner.TakeUnavailableSamples()) {
        if (result.unavailable_samples.size() < 20) {
          result.unavailable_samples.push_back(std::move(e));
        }
      }
      result.outages.insert(result.outages.end(), samples.outages.begin(), samples.outages.end());
    }
    progress.Finish();
    if (!options.journal.empty()) {
      if (Status s = runner.WriteJournal(options.journal); !s.ok()) {
        std::cerr << "marketplace-bench: " << s.message() << "\n";
        return kExitFailed;
      }
    }
  }
  result.summary = Summarize(result.runs);
  std::cout << ResultMarkdown(result, 2) << std::flush;
  int exit = result.summary.overall.errors > 0 ? kExitErrors : kExitOk;
  if (exit != kExitOk) {
    std::cerr << "marketplace-bench: " << result.summary.overall.errors << " calls failed\n";
  }
  if (options.out_dir.empty()) return exit;
  if (Status s = SaveResult(options.out_dir, result); !s.ok()) {
    std::cerr << "marketplace-bench: " << s.message() << "\n";
    return kExitFailed;
  }
  int report = WriteReportOf(options.out_dir);
  return report != kExitOk ? report : exit;
}

int RunFloor(const BenchOptions& options) {
  if (Status s = CheckFloorGrpc(options.floor_grpc); !s.ok()) return ExitCodeFor(s);
  if (options.floor_calls < 1) {
    return ExitCodeFor(InvalidArgument("floor-calls", "must be at least 1 with --floor"));
  }
  auto floor = MeasureFloor({.calls = options.floor_calls,
                             .tls_dir = options.tls_dir,
                             .grpc_unix = options.floor_grpc == "unix"});
  if (!floor.ok()) {
    std::cerr << "marketplace-bench: floor: " << floor.status().message() << "\n";
    return kExitFailed;
  }
  std::cout << FloorMarkdown(*floor, 2) << std::flush;
  return kExitOk;
}

int RunReport(const std::string& dir) { return WriteReportOf(dir); }

int RunCompare(const std::string& a, const std::string& b, const std::string& out_dir) {
  auto ra = LoadResults(a);
  auto rb = LoadResults(b);
  for (const Status& s : {ra.status(), rb.status()}) {
    if (!s.ok()) {
      std::cerr << "marketplace-bench: " << s.message() << "\n";
      return kExitFailed;
    }
  }
  auto name = [](const std::string& path) {
    fs::path p = fs::path(path).lexically_normal();
    if (!p.has_filename()) p = p.parent_path();
    return p.filename().string();
  };
  std::string la = LabelOf(*ra, name(a)), lb = LabelOf(*rb, name(b));
  if (la == lb) {
    la += " (A)";
    lb += " (B)";
  }
  std::string markdown;
  Status s = WriteComparison(out_dir, la, *ra, lb, *rb, markdown);
  std::cout << markdown << std::flush;
  if (!s.ok()) std::cerr << "marketplace-bench: " << s.message() << "\n";
  return s.ok() || s.code() == StatusCode::kUnavailable ? kExitOk : kExitFailed;
}

}  // namespace mp::bench
