#include "http/target.h"

#include <gtest/gtest.h>

namespace mp::http {
namespace {

TEST(TargetTest, PathAndQueryAreDecoded) {
  Request r;
  ASSERT_TRUE(ParseTarget("/v1/items?category=3&keywords=red%2Cblue+x", r));
  EXPECT_EQ(r.path, "/v1/items");
  ASSERT_NE(r.Query("keywords"), nullptr);
  EXPECT_EQ(*r.Query("keywords"), "red,blue x");
}

TEST(TargetTest, MalformedTargetsAreRefused) {
  Request r;
  EXPECT_FALSE(ParseTarget("v1/items", r));
  EXPECT_FALSE(ParseTarget("/v1/items/%zz", r));
  EXPECT_FALSE(ParseTarget("/v1/items/%ff", r));  // not UTF-8
}

TEST(TargetTest, PrintableEscapesWhatCouldForgeALogLine) {
  Request r;
  ASSERT_TRUE(ParseTarget("/v1/items/1%0D%0Arid=7 GET /v1/x 200%1B[2J", r));
  std::string shown = Printable(r.path);
  EXPECT_EQ(shown.find('\n'), std::string::npos);
  EXPECT_EQ(shown.find('\r'), std::string::npos);
  EXPECT_EQ(shown.find('\x1b'), std::string::npos);
  EXPECT_EQ(shown, "/v1/items/1\\x0d\\x0arid=7 GET /v1/x 200\\x1b[2J");
  EXPECT_EQ(Printable("/v1/items/3-7"), "/v1/items/3-7");
  EXPECT_EQ(Printable("a\\b"), "a\\x5cb");  // a literal "\x0a" stays distinguishable
  EXPECT_EQ(Printable("caf\xc3\xa9"), "caf\xc3\xa9");
}

}  // namespace
}  // namespace mp::http
