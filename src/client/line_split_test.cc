#include "client/line_split.h"

#include <gtest/gtest.h>

namespace mp::client {
namespace {

struct SplitCase {
  const char* line;
  std::vector<std::string> words;
};

class SplitLineTest : public ::testing::TestWithParam<SplitCase> {};

TEST_P(SplitLineTest, SplitsLikeAShell) {
  StatusOr<std::vector<std::string>> words = SplitLine(GetParam().line);
  ASSERT_TRUE(words.ok()) << words.status().ToString();
  EXPECT_EQ(*words, GetParam().words);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SplitLineTest,
    ::testing::Values(SplitCase{"", {}}, SplitCase{"   \t ", {}}, SplitCase{"list", {"list"}},
                      SplitCase{"  add  3-7 --quantity 2 ", {"add", "3-7", "--quantity", "2"}},
                      SplitCase{"register --name 'Red Lamp'", {"register", "--name", "Red Lamp"}},
                      SplitCase{"register --name \"Red \\\"big\\\" Lamp\"",
                                {"register", "--name", "Red \"big\" Lamp"}},
                      SplitCase{"a 'it''s' b", {"a", "its", "b"}},
                      SplitCase{"x \"\" y", {"x", "", "y"}},
                      SplitCase{"--name=a\\ b", {"--name=a b"}},
                      SplitCase{"say 'no \\escape'", {"say", "no \\escape"}},
                      SplitCase{"\"keep \\n as is\"", {"keep \\n as is"}},
                      SplitCase{"list # a comment", {"list"}}, SplitCase{"# only a comment", {}},
                      SplitCase{"tag#notcomment", {"tag#notcomment"}},
                      SplitCase{"na\"me\"'s'", {"names"}}));

TEST(SplitLineTest, RejectsUnterminatedQuotesAndTrailingBackslash) {
  for (const char* line : {"say 'oops", "say \"oops", "say oops\\"}) {
    StatusOr<std::vector<std::string>> words = SplitLine(line);
    EXPECT_FALSE(words.ok()) << line;
    EXPECT_EQ(words.status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace mp::client
