#include "bench/stats.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "bench/bench_options.h"
#include "bench/markdown.h"

namespace mp::bench {
namespace {

Sample At(double ms, CallType type = CallType::kGetItem, Outcome outcome = Outcome::kOk) {
  return {static_cast<int64_t>(ms * 1e6), type, outcome};
}

TEST(ComputeRunTest, NearestRankPercentilesPerCallAndOverall) {
  std::vector<Sample> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(At(i));  // 1..100 ms, reversed
  samples.push_back(At(1000, CallType::kDisplayCart));
  RunFigures run = ComputeRun(1, 2.0, samples);
  const Figures& get = run.by_call.at("GetItem");
  EXPECT_EQ(get.calls, 100);
  EXPECT_DOUBLE_EQ(get.p50_ms, 50);
  EXPECT_DOUBLE_EQ(get.p99_ms, 99);
  EXPECT_DOUBLE_EQ(get.max_ms, 100);
  EXPECT_DOUBLE_EQ(get.mean_ms, 50.5);
  EXPECT_DOUBLE_EQ(get.throughput, 50);
  EXPECT_EQ(run.overall.calls, 101);
  EXPECT_DOUBLE_EQ(run.overall.p50_ms, 51);
  EXPECT_DOUBLE_EQ(run.overall.max_ms, 1000);
}

TEST(ComputeRunTest, ErrorsAreCountedButHaveNoLatencyAndDeclinesHave) {
  std::vector<Sample> samples = {At(5, CallType::kMakePurchase, Outcome::kDeclined),
                                 At(500, CallType::kMakePurchase, Outcome::kError),
                                 At(1, CallType::kMakePurchase)};
  RunFigures run = ComputeRun(1, 1.0, samples);
  const Figures& buy = run.by_call.at("MakePurchase");
  EXPECT_EQ(buy.calls, 3);
  EXPECT_EQ(buy.errors, 1);
  EXPECT_EQ(buy.declined, 1);
  EXPECT_DOUBLE_EQ(buy.max_ms, 5);
  EXPECT_DOUBLE_EQ(buy.throughput, 3);
}

TEST(ComputeRunTest, UnavailableAndInterruptedCallsAreCountedApartFromErrors) {
  std::vector<Sample> samples = {At(5, CallType::kMakePurchase, Outcome::kUnavailable),
                                 At(7, CallType::kMakePurchase, Outcome::kInterrupted),
                                 At(9, CallType::kGetItem, Outcome::kUnavailable),
                                 At(1, CallType::kMakePurchase)};
  RunFigures run = ComputeRun(1, 1.0, samples);
  const Figures& buy = run.by_call.at("MakePurchase");
  EXPECT_EQ(buy.calls, 3);
  EXPECT_EQ(buy.errors, 0);
  EXPECT_EQ(buy.unavailable, 1);
  EXPECT_EQ(buy.interrupted, 1);
  EXPECT_DOUBLE_EQ(buy.max_ms, 1);  // only the answered call has a latency
  EXPECT_EQ(run.overall.unavailable, 2);
  Summary s = Summarize({run});
  EXPECT_EQ(s.overall.unavailable, 2);
  EXPECT_EQ(s.overall.interrupted, 1);
  EXPECT_DOUBLE_EQ(s.by_call.at("GetItem").mean_ms.avg, 0);  // no latency at all
}

TEST(SummarizeTest, AveragesWithMinMaxAndCountsMissingCallsAsZero) {
  std::vector<Sample> first = {At(1), At(3, CallType::kDisplayCart)};
  std::vector<Sample> second = {At(3)};
  std::vector<RunFigures> runs = {ComputeRun(1, 1.0, first), ComputeRun(2, 1.0, second)};
  Summary s = Summarize(runs);
  EXPECT_DOUBLE_EQ(s.by_call.at("GetItem").mean_ms.avg, 2);
  EXPECT_DOUBLE_EQ(s.by_call.at("GetItem").mean_ms.min, 1);
  EXPECT_DOUBLE_EQ(s.by_call.at("GetItem").mean_ms.max, 3);
  EXPECT_DOUBLE_EQ(s.by_call.at("DisplayCart").calls.avg, 0.5);
  EXPECT_DOUBLE_EQ(s.by_call.at("DisplayCart").mean_ms.avg,
                   3);  // from the run that made it
  EXPECT_DOUBLE_EQ(s.overall.throughput.min, 1);
  EXPECT_DOUBLE_EQ(s.overall.throughput.max, 2);
}

TEST(ScenarioTest, PresetsFillWhatWasNotGiven) {
  BenchOptions o;
  o.scenario = 3;
  o.calls = 20;
  ASSERT_TRUE(ApplyScenario(o, false, false, true, false).ok());
  EXPECT_EQ(o.sellers, 100);
  EXPECT_EQ(o.buyers, 100);
  EXPECT_EQ(o.calls, 20);
  EXPECT_EQ(o.runs, 10);
  o.scenario = 4;
  EXPECT_FALSE(ApplyScenario(o, false, false, false, false).ok());
}

TEST(ScenarioTest, AJournalNeedsResilientClients) {
  BenchOptions o;
  o.journal = "j.jsonl";
  EXPECT_FALSE(ApplyScenario(o, false, false, false, false).ok());
  o.resilient = true;
  EXPECT_TRUE(ApplyScenario(o, false, false, false, false).ok());
  o.duration_s = -1;
  EXPECT_FALSE(ApplyScenario(o, false, false, false, false).ok());
}

TEST(ScenarioTest, GrownDataSizesAreChecked) {
  BenchOptions o;
  EXPECT_TRUE(ApplyScenario(o, false, false, false, false).ok());
  for (auto change : std::vector<std::function<void(BenchOptions&)>>{
           [](BenchOptions& b) { b.catalog = -1; }, [](BenchOptions& b) { b.accounts = -1; },
           [](BenchOptions& b) { b.accounts = kMaxAccounts + 1; },
           [](BenchOptions& b) { b.history = 0; },
           [](BenchOptions& b) { b.history = kMaxHistory + 1; }}) {
    BenchOptions bad;
    change(bad);
    auto status = ApplyScenario(bad, false, false, false, false);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  }
  o.accounts = kMaxAccounts;
  o.history = kMaxHistory;
  EXPECT_TRUE(ApplyScenario(o, false, false, false, false).ok());
}

TEST(ServerListTest, ParsesListsAndRefusesEntriesWithoutPort) {
  auto list = ParseServerList(" 127.0.0.1:8081, http://h:2 ,[::1]:3");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].host, "h");
  EXPECT_EQ((*list)[2].host, "::1");
  EXPECT_FALSE(ParseServerList("h").ok());
  EXPECT_FALSE(ParseServerList("").ok());
}

TEST(MarkdownTest, FormatsNumbers) {
  EXPECT_EQ(Ms(0.1234), "0.123");
  EXPECT_EQ(Ms(12.34), "12.3");
  EXPECT_EQ(Count(1234567.4), "1,234,567");
  EXPECT_EQ(WithRange({2, 1, 3}, Count), "2 (1–3)");
}

}  // namespace
}  // namespace mp::bench
