#include "client/cli.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "client/account_commands.h"
#include "client/json_util.h"
#include "client/test_cli.h"
#include "client/test_http_server.h"
#include "client/views.h"

namespace fs = std::filesystem;
namespace json = boost::json;
namespace po = boost::program_options;

namespace mp::client {
namespace {

using boost::beast::http::verb;
using testing::CannedReply;
using testing::RecordedRequest;
using testing::TestHttpServer;

// A small seller-like API: enough to drive the shared framework.
CannedReply FakeApi(const RecordedRequest& r) {
  bool authed = r.headers.count("authorization") && r.headers.at("authorization") == "Bearer tok-1";
  if (r.method == "POST" && r.target == "/v1/sessions") {
    return {201, R"({"token":"tok-1","seller_id":5})"};
  }
  if (r.method == "POST" && r.target == "/v1/accounts") return {201, R"({"seller_id":5})"};
  if (!authed) return {401, R"({"error":{"code":"unauthenticated","message":"no session"}})"};
  if (r.target == "/v1/sessions/current") return {204, ""};
  if (r.target == "/v1/rating") return {200, R"({"up":3,"down":1})"};
  if (r.target == "/v1/cart/items") {
    return {
        409,
        R"({"error":{"code":"insufficient_quantity","message":"item 3-7 has 2 units for sale"}})"};
  }
  return {404, R"({"error":{"code":"not_found","message":"no route"}})"};
}

CliSpec TestSpec() {
  CliSpec spec{.program = "seller-cli",
               .role = "seller",
               .default_server = "127.0.0.1:1",
               .server_env = "MP_SELLER_SERVER",
               .commands = AccountCommands("seller")};
  spec.commands.push_back(CommandBuilder("rating", "", "show feedback")
                              .Build([](CommandContext& ctx, const po::variables_map&) -> Status {
                                MP_ASSIGN_OR_RETURN(ApiResponse reply,
                                                    ctx.Call(verb::get, "/v1/rating"));
                                ctx.Emit(reply, RenderRating);
                                return Status();
                              }));
  CommandBuilder add("add", "ITEM_ID [--quantity N]", "add to cart");
  add.Options()("item-id", po::value<std::string>(), "")(
      "quantity", po::value<int64_t>()->default_value(1), "");
  add.Positional("item-id").Require("item-id", "item id");
  spec.commands.push_back(add.Build([](CommandContext& ctx, const po::variables_map& vm) -> Status {
    MP_ASSIGN_OR_RETURN(ItemId id, ItemIdArg(vm));
    json::value body = {{"item_id", id.ToString()}, {"quantity", *IntArg(vm, "quantity")}};
    MP_ASSIGN_OR_RETURN(ApiResponse reply, ctx.Call(verb::post, "/v1/cart/items", &body));
    ctx.Emit(reply, RenderCart);
    return Status();
  }));
  return spec;
}

class FakePrompter final : public Prompter {
 public:
  StatusOr<std::string> Ask(std::string_view label, bool secret) override {
    asked.push_back(std::string(label) + (secret ? " (secret)" : ""));
    return std::string("s3cret-pw");
  }
  std::vector<std::string> asked;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mp_cli_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    env_.server = server_.address();
    env_.token_file = (dir_ / "seller.token").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  testing::CliRun Run(const std::vector<std::string>& args, const std::string& input = "",
                      Prompter* prompter = nullptr) {
    return testing::RunCliForTest(TestSpec(), env_, args, input, prompter);
  }

  fs::path token_file() const { return env_.token_file; }

  TestHttpServer server_{FakeApi};
  fs::path dir_;
  CliEnvironment env_;
};

TEST_F(CliTest, LoginKeepsAPrivateTokenForLaterCallsAndLogoutDeletesIt) {
  testing::CliRun login = Run({"login", "--username", "alice", "--password", "password1"});
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_EQ(login.out, "logged in as alice (seller 5)\n");
  struct stat st {};
  ASSERT_EQ(::stat(token_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(server_.requests().at(0).body, R"({"username":"alice","password":"password1"})");

  testing::CliRun rating = Run({"rating"});
  EXPECT_EQ(rating.exit_code, 0) << rating.err;
  EXPECT_EQ(rating.out, "feedback: 3 up, 1 down\n");

  testing::CliRun logout = Run({"logout"});
  EXPECT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_EQ(logout.out, "logged out\n");
  EXPECT_FALSE(fs::exists(token_file()));
}

TEST_F(CliTest, ApiErrorsPrintReasonAndMessageAndExitWith1) {
  ASSERT_EQ(Run({"login", "--username", "a", "--password", "password1"}).exit_code, 0);
  testing::CliRun add = Run({"add", "3-7", "--quantity", "5"});
  EXPECT_EQ(add.exit_code, 1);
  EXPECT_EQ(add.out, "");
  EXPECT_EQ(add.err, "error: insufficient_quantity: item 3-7 has 2 units for sale\n");
}

TEST_F(CliTest, WithoutATerminalMissingValuesAreUsageErrorsWithStatus2) {
  testing::CliRun login = Run({"login", "--username", "a"});
  EXPECT_EQ(login.exit_code, 2);
  EXPECT_NE(login.err.find("error: missing --password"), std::string::npos) << login.err;
  EXPECT_NE(login.err.find("usage: seller-cli login"), std::string::npos) << login.err;
  testing::CliRun add = Run({"add"});
  EXPECT_NE(add.err.find("missing ITEM_ID"), std::string::npos) << add.err;
  EXPECT_EQ(Run({"add", "not-an-id"}).exit_code, 2);
  EXPECT_EQ(Run({"add", "3-7", "--quantity", "many"}).exit_code, 2);
  EXPECT_EQ(Run({"add", "3-7", "--bogus"}).exit_code, 2);
  EXPECT_EQ(Run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Run({"--timeout", "0", "rating"}).exit_code, 2);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(CliTest, CommandsNeedingASessionFailBeforeCallingWithoutOne) {
  testing::CliRun rating = Run({"rating"});
  EXPECT_EQ(rating.exit_code, 1);
  EXPECT_NE(rating.err.find("error: unauthenticated: not logged in"), std::string::npos);
  EXPECT_NE(rating.err.find("seller-cli login"), std::string::npos);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(CliTest, JsonFlagAnywherePrintsTheRawReply) {
  ASSERT_EQ(Run({"login", "--username", "a", "--password", "password1"}).exit_code, 0);
  EXPECT_EQ(Run({"rating", "--json"}).out, "{\"up\":3,\"down\":1}\n");
  EXPECT_EQ(Run({"--json", "rating"}).out, "{\"up\":3,\"down\":1}\n");
  EXPECT_EQ(Run({"--json", "logout"}).out, "{}\n");
}

TEST_F(CliTest, ShellRunsQuotedLinesFromStdinAndReturnsTheLastStatus) {
  testing::CliRun shell =
      Run({}, "login --username a --password 'pass word1'\n\nrating # mine\nbogus\n");
  EXPECT_EQ(shell.exit_code, 2);
  EXPECT_EQ(shell.out, "logged in as a (seller 5)\nfeedback: 3 up, 1 down\n");
  EXPECT_NE(shell.err.find("unknown command 'bogus'"), std::string::npos);
  EXPECT_EQ(server_.requests().at(0).body, R"({"username":"a","password":"pass word1"})");
  EXPECT_EQ(Run({"shell"}, "rating\nquit\nrating --nope\n").exit_code, 0);
}

TEST_F(CliTest, AnInteractiveRunPromptsForMissingValuesWithSecretsHidden) {
  FakePrompter prompter;
  testing::CliRun login = Run({"login", "--username", "a"}, "", &prompter);
  ASSERT_EQ(login.exit_code, 0) << login.err;
  EXPECT_EQ(prompter.asked, std::vector<std::string>{"password (secret)"});
  EXPECT_EQ(server_.requests().at(0).body, R"({"username":"a","password":"s3cret-pw"})");
}

TEST_F(CliTest, HelpListsCommandsAndExplainsOne) {
  testing::CliRun top = Run({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("create-account"), std::string::npos);
  EXPECT_NE(top.out.find("--server"), std::string::npos);
  EXPECT_NE(top.out.find("MP_SELLER_SERVER"), std::string::npos);
  for (auto args : {std::vector<std::string>{"help", "login"}, {"login", "--help"}}) {
    testing::CliRun one = Run(args);
    EXPECT_EQ(one.exit_code, 0);
    EXPECT_NE(one.out.find("usage: seller-cli login --username NAME"), std::string::npos)
        << one.out;
    EXPECT_NE(one.out.find("--password"), std::string::npos);
  }
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(CliTest, ServerFlagOverridesTheEnvironmentAndFailsOver) {
  env_.server = "127.0.0.1:1";
  std::string servers =
      "127.0.0.1:" + std::to_string(testing::ClosedPort()) + "," + server_.address();
  testing::CliRun login =
      Run({"login", "--server", servers, "--username", "a", "--password", "password1"});
  EXPECT_EQ(login.exit_code, 0) << login.err;
  EXPECT_EQ(Run({"--server", "nonsense", "rating"}).exit_code, 2);
}

}  // namespace
}  // namespace mp::client
