#include "bench/results.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "bench/report.h"
#include "bench/workload.h"

namespace mp::bench {
namespace {

BenchResult Example(std::string workload, int scenario) {
  BenchOptions o;
  o.scenario = scenario;
  o.label = "SQLite";
  o.seed = 18'000'000'000'000'000'000ull;  // above int64: must come back exact
  BenchResult r;
  r.config = ConfigFrom(o);
  r.started = "2025-01-01T00:00:00Z";
  r.host = "h";
  r.cpus = 2;
  r.config.workload = std::move(workload);
  std::vector<Sample> samples = {{1'000'000, CallType::kGetItem, Outcome::kOk},
                                 {2'000'000, CallType::kMakePurchase, Outcome::kDeclined}};
  r.runs.push_back(ComputeRun(1, 0.5, samples));
  r.summary = Summarize(r.runs);
  return r;
}

TEST(ResultsTest, JsonRoundTripKeepsEveryFigure) {
  BenchResult r = Example("read", 1);
  auto back = ResultFromJson(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->config.seed, r.config.seed);
  EXPECT_EQ(back->config.seller_servers, r.config.seller_servers);
  EXPECT_DOUBLE_EQ(back->runs[0].by_call.at("MakePurchase").mean_ms, 2);
  EXPECT_EQ(back->summary.overall.declined, 1);
  EXPECT_DOUBLE_EQ(back->summary.overall.throughput.avg, 4);
}

TEST(ResultsTest, RefusesForeignJson) {
  EXPECT_FALSE(ResultFromJson(boost::json::object{{"tool", "other"}}).ok());
  EXPECT_FALSE(ResultFromJson(boost::json::array{}).ok());
}

TEST(ResultsTest, KeysNameScenarioOrSize) {
  EXPECT_EQ(ResultKey(Example("read", 2).config), "read-s2");
  BenchConfig custom = Example("mixed", 0).config;
  custom.sellers = 2;
  custom.buyers = 3;
  custom.calls = 20;
  EXPECT_EQ(ResultKey(custom), "mixed-2+3x20");
}

TEST(ReportTest, WritesReportAndComparisonFromSavedResults) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("bench_test_" + std::to_string(getpid()));
  fs::remove_all(dir);
  ASSERT_TRUE(SaveResult(dir, Example("read", 1)).ok());
  ASSERT_TRUE(SaveResult(dir, Example("mixed", 1)).ok());
  auto loaded = LoadResults(dir);
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_EQ(loaded->front().config.workload, "read");
  Status report = WriteReport(dir, *loaded);  // charts need gnuplot: not judged here
  EXPECT_TRUE(report.ok() || report.code() == StatusCode::kUnavailable) << report.ToString();
  EXPECT_TRUE(fs::exists(dir / "report.md"));
  EXPECT_TRUE(fs::exists(dir / "throughput.dat"));
  std::string md;
  Status compare = WriteComparison({}, "A", *loaded, "B", *loaded, md);
  EXPECT_TRUE(compare.ok());
  EXPECT_NE(md.find("| read | scenario 1 (1+1) |"), std::string::npos) << md;
  fs::remove_all(dir);
}

TEST(WorkloadTest, PricesAreExactDecimals) {
  std::string out;
  AppendPrice(out, 1205);
  EXPECT_EQ(out, "12.05");
}

}  // namespace
}  // namespace mp::bench
