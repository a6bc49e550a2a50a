#include "buyer_cli/buyer_commands.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "client/test_cli.h"
#include "client/test_http_server.h"

namespace fs = std::filesystem;
namespace json = boost::json;

namespace mp::buyer_cli {
namespace {

using client::testing::CannedReply;
using client::testing::CliRun;
using client::testing::RecordedRequest;
using client::testing::TestHttpServer;

constexpr char kCart[] =
    R"({"items":[{"item_id":"3-7","name":"Lamp","price":12.5,"quantity":2,"available":1}],"total":25})";

CannedReply FakeBuyerApi(const RecordedRequest& r) {
  if (r.target == "/v1/purchases" && r.method == "POST") {
    return {
        201,
        R"({"purchase_id":"p-9","total":25,"items":[{"item_id":"3-7","name":"Lamp","price":12.5,"quantity":2}]})"};
  }
  if (r.target.starts_with("/v1/cart")) return {200, kCart};
  if (r.target.starts_with("/v1/items?")) return {200, R"({"items":[]})"};
  if (r.target == "/v1/feedback") {
    return {409, R"({"error":{"code":"already_rated","message":"you rated item 3-7"}})"};
  }
  return {404, R"({"error":{"code":"not_found","message":"no route"}})"};
}

class BuyerCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mp_buyer_cli_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    env_.server = server_.address();
    env_.token_file = (dir_ / "buyer.token").string();
    ASSERT_TRUE(client::TokenStore(env_.token_file).Save("tok").ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun Run(const std::vector<std::string>& args) {
    client::CliSpec spec{"buyer-cli", "buyer", "127.0.0.1:1", "MP_BUYER_SERVER", Commands()};
    return client::testing::RunCliForTest(spec, env_, args);
  }
  RecordedRequest Last() { return server_.requests().back(); }

  TestHttpServer server_{FakeBuyerApi};
  fs::path dir_;
  client::CliEnvironment env_;
};

TEST_F(BuyerCommandsTest, SearchBuildsTheQueryString) {
  CliRun run = Run({"search", "--category", "3", "--keywords", "Red, shoe", "--limit", "5"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Last().target, "/v1/items?category=3&keywords=Red,shoe&limit=5");
  EXPECT_EQ(Last().headers["authorization"], "Bearer tok");
  EXPECT_EQ(run.out, "(no items)\n");
}

TEST_F(BuyerCommandsTest, CartCommandsUseTheirRoutes) {
  ASSERT_EQ(Run({"add", "3-7", "--quantity", "2"}).exit_code, 0);
  EXPECT_EQ(Last().method, "POST");
  EXPECT_EQ(Last().body, R"({"item_id":"3-7","quantity":2})");
  ASSERT_EQ(Run({"remove", "3-7"}).exit_code, 0);
  EXPECT_EQ(Last().method, "DELETE");
  EXPECT_EQ(Last().target, "/v1/cart/items/3-7");
  ASSERT_EQ(Run({"remove", "3-7", "--quantity", "1"}).exit_code, 0);
  EXPECT_EQ(Last().target, "/v1/cart/items/3-7?quantity=1");
  CliRun cart = Run({"cart"});
  EXPECT_NE(cart.out.find("1 !"), std::string::npos) << cart.out;
  EXPECT_NE(cart.out.find("total: 25.00"), std::string::npos) << cart.out;
}

TEST_F(BuyerCommandsTest, PurchaseSendsDigitsAndAKeyButShowsOnlyTheLastFour) {
  CliRun run = Run({"purchase", "--name", "Bob B", "--card-number", "4111 1111-1111 1111",
                    "--expiration", "12/30"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  RecordedRequest sent = Last();
  json::value body = json::parse(sent.body);
  EXPECT_EQ(body.at("card_number").as_string(), "4111111111111111");
  EXPECT_EQ(body.at("expiration").as_string(), "12/30");
  EXPECT_FALSE(body.as_object().contains("security_code"));
  EXPECT_EQ(sent.headers["idempotency-key"].size(), 32u);
  EXPECT_EQ(run.out.find("4111"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("card ending in 1111"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("purchase p-9: 25.00"), std::string::npos) << run.out;

  ASSERT_EQ(Run({"purchase", "--name", "B", "--card-number", "4111111111111111", "--expiration",
                 "12/30", "--security-code", "123", "--idempotency-key", "my-key"})
                .exit_code,
            0);
  EXPECT_EQ(Last().headers["idempotency-key"], "my-key");
  EXPECT_EQ(json::parse(Last().body).at("security_code").as_string(), "123");
}

TEST_F(BuyerCommandsTest, ALostPurchaseTellsHowToRetryWithoutPayingTwice) {
  env_.server = "127.0.0.1:" + std::to_string(client::testing::ClosedPort());
  CliRun run = Run({"purchase", "--name", "B", "--card-number", "4111111111111111", "--expiration",
                    "12/30", "--idempotency-key", "k-1"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("--idempotency-key k-1"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("4111"), std::string::npos) << run.err;
}

TEST_F(BuyerCommandsTest, FeedbackAndRatingsAndErrors) {
  CliRun vote = Run({"feedback", "3-7", "--vote", "up"});
  EXPECT_EQ(vote.exit_code, 1);
  EXPECT_EQ(vote.err, "error: already_rated: you rated item 3-7\n");
  EXPECT_EQ(Last().body, R"({"item_id":"3-7","vote":"up"})");
  EXPECT_EQ(Run({"seller-rating", "0"}).exit_code, 2);
  EXPECT_EQ(Run({"seller-rating", "12"}).exit_code, 1);
  EXPECT_EQ(Last().target, "/v1/sellers/12/rating");
  EXPECT_EQ(Run({"item", "3-x"}).exit_code, 2);
}

}  // namespace
}  // namespace mp::buyer_cli
