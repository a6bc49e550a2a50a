#include "bench/results.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
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
  r.config.catalog = 1000;
  r.catalog_load_s = 1.5;
  r.config.accounts = 20;
  r.config.history = 3;
  r.accounts_load_s = 2.5;
  auto back = ResultFromJson(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->config.seed, r.config.seed);
  EXPECT_EQ(back->config.catalog, 1000);
  EXPECT_DOUBLE_EQ(back->catalog_load_s, 1.5);
  EXPECT_EQ(back->config.accounts, 20);
  EXPECT_EQ(back->config.history, 3);
  EXPECT_DOUBLE_EQ(back->accounts_load_s, 2.5);
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
  custom.duration_s = 60;
  custom.resilient = true;
  EXPECT_EQ(ResultKey(custom), "mixed-2+3x60s-resilient");
}

TEST(ResultsTest, ResilientRunsKeepTheirOutagesAndCounts) {
  BenchResult r = Example("mixed", 0);
  r.config.duration_s = 30;
  r.config.resilient = true;
  std::vector<Sample> samples = {{1'000'000, CallType::kGetItem, Outcome::kUnavailable},
                                 {1'000'000, CallType::kGetItem, Outcome::kOk}};
  r.runs = {ComputeRun(1, 1.0, samples)};
  r.summary = Summarize(r.runs);
  r.outages = {{.run = 1, .start_s = 2.5, .seconds = 0.75, .calls = 1}};
  r.unavailable_samples = {"GetItem /v1/items/1-1: HTTP 503"};
  auto back = ResultFromJson(ToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->config.duration_s, 30);
  EXPECT_TRUE(back->config.resilient);
  EXPECT_EQ(back->summary.overall.unavailable, 1);
  EXPECT_EQ(back->runs[0].by_call.at("GetItem").unavailable, 1);
  ASSERT_EQ(back->outages.size(), 1u);
  EXPECT_DOUBLE_EQ(back->outages[0].seconds, 0.75);
  EXPECT_EQ(back->unavailable_samples, r.unavailable_samples);
  std::string md = ResultMarkdown(*back, 2);
  EXPECT_NE(md.find("runs of 30 s"), std::string::npos) << md;
  EXPECT_NE(md.find("| 1 | 2.50 | 0.750 | 1 |"), std::string::npos) << md;
}

TEST(ResultsTest, OtherRunsWriteNoResilientFields) {
  std::string json = boost::json::serialize(ToJson(Example("read", 1)));
  EXPECT_EQ(json.find("outages"), std::string::npos);
  EXPECT_EQ(json.find("unavailable"), std::string::npos);
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

// A session that talks to nobody: planning and syncing never connect.
struct Offline {
  boost::asio::io_context io;
  Session session;
  explicit Offline(Role role) : session(role, 0, io, {}, "h", std::chrono::seconds(1), 1) {
    session.username = "u";
  }
};

TEST(WorkloadTest, AResilientBuyerRepeatsItsPurchaseWithOneKeyThenSyncsItsCart) {
  WorkloadContext c;
  c.workload = Workload::kMixed;
  c.pool = {"1-1", "2-2"};
  c.pool_index = {{"1-1", 0}, {"2-2", 1}};
  c.purchase_body = "{}";
  Offline o(Role::kBuyer);
  Session& s = o.session;
  s.bought.assign(2, false);
  s.cart = {{0, 1}};
  s.sync_cart = true;
  s.purchase_key = "u-1";
  PlannedCall retry = NextResilientCall(c, s);
  EXPECT_EQ(retry.type, CallType::kMakePurchase);
  EXPECT_TRUE(retry.retry);
  EXPECT_EQ(s.purchase_key, "u-1");
  s.purchase_key.clear();
  PlannedCall sync = NextResilientCall(c, s);
  EXPECT_EQ(sync.type, CallType::kDisplayCart);
  EXPECT_TRUE(sync.sync);
  auto found = SyncFromReply(c, s, R"({"items":[{"item_id":"2-2","quantity":3}],"total":3})");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_FALSE(s.sync_cart);
  ASSERT_EQ(s.cart.size(), 1u);
  EXPECT_EQ(s.cart[0].item, 1u);
  EXPECT_EQ(s.cart[0].quantity, 3);
  EXPECT_FALSE(SyncFromReply(c, s, R"({"items":[{"item_id":"9-9","quantity":1}]})").ok());
}

TEST(WorkloadTest, ASellerSyncFindsItemsItDidNotKnowOf) {
  WorkloadContext c;
  Offline o(Role::kSeller);
  Session& s = o.session;
  s.items = {{.id = "1-1", .name = "a", .category = 1, .keywords_json = "[]", .price_cents = 100}};
  s.sync_items = true;
  auto found = SyncFromReply(c, s, R"({"items":[
      {"id":"1-1","name":"a","category":1,"keywords":["red"],"price":2.5},
      {"id":"2-4","name":"b","category":2,"keywords":[],"price":12.05}]})");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(*found, std::vector<std::string>{"2-4"});
  EXPECT_FALSE(s.sync_items);
  ASSERT_EQ(s.items.size(), 2u);
  EXPECT_EQ(s.items[0].price_cents, 250);
  EXPECT_EQ(s.items[0].keywords_json, R"(["red"])");
  EXPECT_EQ(s.items[1].price_cents, 1205);
}

}  // namespace
}  // namespace mp::bench
