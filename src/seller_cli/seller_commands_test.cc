#include "seller_cli/seller_commands.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "client/test_cli.h"
#include "client/test_http_server.h"

namespace fs = std::filesystem;

namespace mp::seller_cli {
namespace {

using client::testing::CannedReply;
using client::testing::CliRun;
using client::testing::RecordedRequest;
using client::testing::TestHttpServer;

constexpr char kItem[] =
    R"({"id":"3-7","name":"Lamp","category":3,"keywords":["red","lamp"],"condition":"new",)"
    R"("price":12.5,"quantity":2,"feedback":{"up":1,"down":0},"seller_id":4})";

CannedReply FakeSellerApi(const RecordedRequest& r) {
  if (r.target == "/v1/items" && r.method == "POST") {
    return {201, R"({"item_id":"3-7","quantity":4})"};
  }
  if (r.target == "/v1/items" || r.target.starts_with("/v1/items?")) {
    return {200, std::string(R"({"items":[)") + kItem + "]}"};
  }
  if (r.target.starts_with("/v1/items/3-7")) return {200, kItem};
  if (r.target == "/v1/rating") return {200, R"({"up":1,"down":0})"};
  return {403, R"({"error":{"code":"permission_denied","message":"not yours"}})"};
}

class SellerCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mp_seller_cli_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    env_.server = server_.address();
    env_.token_file = (dir_ / "seller.token").string();
    ASSERT_TRUE(client::TokenStore(env_.token_file).Save("tok").ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun Run(const std::vector<std::string>& args) {
    client::CliSpec spec{"seller-cli", "seller", "127.0.0.1:1", "MP_SELLER_SERVER", Commands()};
    return client::testing::RunCliForTest(spec, env_, args);
  }
  RecordedRequest Last() { return server_.requests().back(); }

  TestHttpServer server_{FakeSellerApi};
  fs::path dir_;
  client::CliEnvironment env_;
};

TEST_F(SellerCommandsTest, RegisterSendsExactPriceAndKeywordList) {
  CliRun run = Run({"register", "--name", "Lamp", "--category", "3", "--keywords", "red,lamp",
                    "--condition", "new", "--price", "12.5", "--quantity", "4"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "item 3-7 has 4 units for sale\n");
  EXPECT_EQ(Last().body, R"({"name":"Lamp","category":3,"keywords":["red","lamp"],)"
                         R"("condition":"new","price":12.5,"quantity":4})");
}

TEST_F(SellerCommandsTest, RegisterRejectsBadInputBeforeCalling) {
  for (const char* price : {"12.345", "-1", "abc", "1e3"}) {
    EXPECT_EQ(Run({"register", "--name", "Lamp", "--category", "3", "--condition", "new", "--price",
                   price, "--quantity", "4"})
                  .exit_code,
              2)
        << price;
  }
  CliRun missing = Run({"register", "--name", "Lamp"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("missing --category, --condition, --price, --quantity"),
            std::string::npos)
      << missing.err;
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(SellerCommandsTest, SetPriceWithdrawListAndRating) {
  CliRun price = Run({"set-price", "3-7", "--price", "0.1"});
  ASSERT_EQ(price.exit_code, 0) << price.err;
  EXPECT_EQ(Last().method, "PATCH");
  EXPECT_EQ(Last().body, R"({"price":0.1})");
  EXPECT_NE(price.out.find("price:     12.50"), std::string::npos) << price.out;

  ASSERT_EQ(Run({"withdraw", "3-7", "--quantity", "2"}).exit_code, 0);
  EXPECT_EQ(Last().method, "DELETE");
  EXPECT_EQ(Last().target, "/v1/items/3-7?quantity=2");
  ASSERT_EQ(Run({"withdraw", "3-7"}).exit_code, 0);
  EXPECT_EQ(Last().target, "/v1/items/3-7");

  CliRun list = Run({"list"});
  EXPECT_EQ(list.out,
            "ID   NAME  CATEGORY  CONDITION  PRICE  QTY  UP  DOWN  KEYWORDS\n"
            "---  ----  --------  ---------  -----  ---  --  ----  --------\n"
            "3-7  Lamp         3  new        12.50    2   1     0  red,lamp\n");
  EXPECT_EQ(Last().target, "/v1/items");

  // A full page says how to get the next one.
  CliRun paged = Run({"list", "--limit", "1", "--offset", "3"});
  ASSERT_EQ(paged.exit_code, 0) << paged.err;
  EXPECT_EQ(Last().target, "/v1/items?limit=1&offset=3");
  EXPECT_EQ(paged.out,
            "ID   NAME  CATEGORY  CONDITION  PRICE  QTY  UP  DOWN  KEYWORDS\n"
            "---  ----  --------  ---------  -----  ---  --  ----  --------\n"
            "3-7  Lamp         3  new        12.50    2   1     0  red,lamp\n"
            "more items may follow: seller-cli list --limit 1 --offset 4\n");
  EXPECT_EQ(Run({"list", "--limit", "2"}).out.find("more items"), std::string::npos)
      << "a short page is the last";
  EXPECT_EQ(Run({"rating"}).out, "feedback: 1 up, 0 down\n");
  CliRun denied = Run({"withdraw", "4-1"});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_EQ(denied.err, "error: permission_denied: not yours\n");
}

}  // namespace
}  // namespace mp::seller_cli
