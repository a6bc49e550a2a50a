// The floor's pieces that need no timing: its JSON round trip, the
// multiples' formatting, and where the report and --compare show them.
#include "bench/floor.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "bench/report.h"
#include "bench/results.h"

namespace mp::bench {
namespace {

// Scenario 1 (1+1 clients): calls of 1 ms and 2 ms, so mean 1.5, p50 1 and
// p99 2 ms overall.
BenchResult Example() {
  BenchOptions o;
  o.scenario = 1;
  BenchResult r;
  r.config = ConfigFrom(o);
  r.started = "2025-01-01T00:00:00Z";
  r.host = "h";
  r.cpus = 2;
  std::vector<Sample> samples = {{1'000'000, CallType::kGetItem, Outcome::kOk},
                                 {2'000'000, CallType::kGetItem, Outcome::kOk}};
  r.runs.push_back(ComputeRun(1, 0.5, samples));
  r.summary = Summarize(r.runs);
  return r;
}

// Floor mean 0.5 ms, p50 0.25 ms, p99 1 ms.
Floor ExampleFloor() {
  Floor f;
  f.http = {.calls = 5000, .mean_ms = 0.2, .p50_ms = 0.1, .p99_ms = 0.4, .max_ms = 3};
  f.grpc = {.calls = 5000, .mean_ms = 0.3, .p50_ms = 0.15, .p99_ms = 0.6, .max_ms = 2};
  f.grpc_tls = true;
  return f;
}

TEST(FloorTest, SumsTheHops) {
  Floor f = ExampleFloor();
  EXPECT_DOUBLE_EQ(f.mean_ms(), 0.5);
  EXPECT_DOUBLE_EQ(f.p50_ms(), 0.25);
  EXPECT_DOUBLE_EQ(f.p99_ms(), 1.0);
}

TEST(FloorTest, JsonRoundTripKeepsTheFloor) {
  BenchResult r = Example();
  r.floor = ExampleFloor();
  auto back = ResultFromJson(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->floor.has_value());
  EXPECT_EQ(back->floor->http.calls, 5000);
  EXPECT_DOUBLE_EQ(back->floor->http.p99_ms, 0.4);
  EXPECT_DOUBLE_EQ(back->floor->grpc.mean_ms, 0.3);
  EXPECT_DOUBLE_EQ(back->floor->grpc.max_ms, 2);
  EXPECT_TRUE(back->floor->grpc_tls);
  EXPECT_FALSE(back->floor->grpc_unix);
  EXPECT_FALSE(back->floor->https);

  r.floor->grpc_tls = false;
  r.floor->grpc_unix = true;
  back = ResultFromJson(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->floor->grpc_unix);
  EXPECT_EQ(back->floor->grpc_transport(), "Unix socket");
}

TEST(FloorTest, ResultsFromBeforeUnixSocketsReadAsTcp) {
  BenchResult r = Example();
  r.floor = ExampleFloor();
  boost::json::value json = ToJson(r);
  json.as_object()["floor"].as_object().erase("grpc_unix");
  auto back = ResultFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->floor->grpc_unix);
  EXPECT_EQ(back->floor->grpc_transport(), "mutual TLS");
}

TEST(FloorTest, ResultsWithoutAFloorStayAsTheyWere) {
  BenchResult r = Example();
  std::string json = boost::json::serialize(ToJson(r));
  EXPECT_EQ(json.find("floor"), std::string::npos);
  auto back = ResultFromJson(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->floor.has_value());
  std::string md = ResultMarkdown(*back, 2);
  EXPECT_EQ(md.find("×"), std::string::npos) << md;
  EXPECT_EQ(md.find("Floor"), std::string::npos) << md;
}

TEST(FloorTest, ABrokenFloorIsRefused) {
  boost::json::value json = ToJson(Example());
  json.as_object()["floor"] = boost::json::object{{"http", 1}};
  EXPECT_FALSE(ResultFromJson(json).ok());
}

TEST(FloorTest, FormatsMultiples) {
  EXPECT_EQ(TimesFloor(0.49, 0.35), "1.4×");
  EXPECT_EQ(TimesFloor(0.35, 0.35), "1.0×");
  EXPECT_EQ(TimesFloor(9.9, 1), "9.9×");
  EXPECT_EQ(TimesFloor(9.96, 1), "10×");
  EXPECT_EQ(TimesFloor(123.4, 1), "123×");
  EXPECT_EQ(TimesFloor(1, 0), "");
  EXPECT_EQ(WithTimesFloor("0.49 (0.48–0.53)", 0.49, 0.35), "0.49 (0.48–0.53) = 1.4×");
  EXPECT_EQ(WithTimesFloor("0.49", 0.49, std::nullopt), "0.49");
  EXPECT_EQ(WithTimesFloor("0.49", 0.49, 0.0), "0.49");
}

TEST(FloorTest, OnlyOneSellerAndOneBuyerAreReadAgainstIt) {
  EXPECT_TRUE(ReadAgainstFloor(1, 1));
  EXPECT_TRUE(ReadAgainstFloor(1, 0));
  EXPECT_FALSE(ReadAgainstFloor(10, 10));
  EXPECT_FALSE(ReadAgainstFloor(2, 0));
}

TEST(FloorTest, ReportGivesScenarioOneFiguresAsMultiples) {
  BenchResult r = Example();
  r.floor = ExampleFloor();
  std::string md = ResultMarkdown(r, 2);
  // mean 1.5 / 0.5, p50 1 / 0.25, p99 2 / 1, per call and overall.
  EXPECT_NE(md.find("| GetItem | 2 | 1.50 = 3.0× | 1.00 = 4.0× | 2.00 = 2.0× |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| **all calls** | 2 | 1.50 = 3.0× | 1.00 = 4.0× | 2.00 = 2.0× |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("mean 0.500 ms (HTTP 0.200 + gRPC 0.300), p50 0.250 ms, p99 1.00 ms"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("1.50 ms = 3.0× floor"), std::string::npos) << md;
}

TEST(FloorTest, LargerScenariosShowTheFloorButNoMultiples) {
  BenchResult r = Example();
  r.config.scenario = 2;
  r.config.sellers = r.config.buyers = 10;
  r.floor = ExampleFloor();
  std::string md = ResultMarkdown(r, 2);
  EXPECT_NE(md.find("p99 1.00 ms"), std::string::npos) << md;
  EXPECT_EQ(md.find("×"), std::string::npos) << md;
}

TEST(FloorTest, CompareShowsEachSidesMultiples) {
  BenchResult with = Example();
  with.floor = ExampleFloor();
  BenchResult without = Example();
  std::string md;
  ASSERT_TRUE(WriteComparison({}, "A", {with}, "B", {without}, md).ok());
  // Overall: calls/s A, B, B/A, then mean A, mean B, p99 A, p99 B.
  EXPECT_NE(md.find("| 1.00× | 1.50 = 3.0× | 1.50 | 2.00 = 2.0× | 2.00 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| GetItem | 1.50 = 3.0× | 1.50 | 2.00 = 2.0× | 2.00 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("**A**: Floor"), std::string::npos) << md;
  EXPECT_EQ(md.find("**B**: Floor"), std::string::npos) << md;
}

}  // namespace
}  // namespace mp::bench
