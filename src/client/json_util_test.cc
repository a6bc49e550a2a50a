#include "client/json_util.h"

#include <gtest/gtest.h>

namespace json = boost::json;

namespace mp::client {
namespace {

struct MoneyCase {
  const char* json_text;
  int64_t cents;  // -1: rejected
};

class MoneyFromJsonTest : public ::testing::TestWithParam<MoneyCase> {};

TEST_P(MoneyFromJsonTest, ConvertsExactlyOrRejects) {
  StatusOr<Money> money = MoneyFromJson(json::parse(GetParam().json_text));
  if (GetParam().cents < 0) {
    EXPECT_FALSE(money.ok()) << GetParam().json_text;
  } else {
    ASSERT_TRUE(money.ok()) << GetParam().json_text << ": " << money.status().ToString();
    EXPECT_EQ(money->cents, GetParam().cents) << GetParam().json_text;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MoneyFromJsonTest,
    ::testing::Values(MoneyCase{"12.5", 1250}, MoneyCase{"12", 1200}, MoneyCase{"0.29", 29},
                      MoneyCase{"0.1", 10}, MoneyCase{"1.25E1", 1250},
                      MoneyCase{"1000000000", 100'000'000'000},
                      MoneyCase{"999999999.99", 99'999'999'999}, MoneyCase{"4.35", 435},
                      MoneyCase{"0", 0}, MoneyCase{"0.001", -1}, MoneyCase{"12.345", -1},
                      MoneyCase{"-1", -1}, MoneyCase{"-0.5", -1}, MoneyCase{"\"12.50\"", -1},
                      MoneyCase{"null", -1}, MoneyCase{"1e300", -1}));

TEST(MoneyFormatTest, DisplaysTwoDecimals) {
  EXPECT_EQ(Money{1250}.ToString(), "12.50");
  EXPECT_EQ(Money{5}.ToString(), "0.05");
  EXPECT_EQ(Money{100'000'000'000}.ToString(), "1000000000.00");
  EXPECT_EQ(MoneyField(json::parse(R"({"price":4.35})"), "price"), "4.35");
  // An amount off the contract shows as sent rather than disappearing.
  EXPECT_EQ(MoneyField(json::parse(R"({"price":1.005})"), "price"), "1.005");
}

TEST(MoneyToJsonTest, WritesPlainDecimalTheWayItWasTyped) {
  for (const char* typed : {"12.5", "12.50", "0.29", "1000000000", "999999999.99", "7"}) {
    StatusOr<Money> money = Money::Parse(typed);
    ASSERT_TRUE(money.ok()) << typed;
    std::string text = SerializeJson(json::object{{"price", MoneyToJson(*money)}});
    // Round trip: what the server parses is the same amount.
    StatusOr<Money> back = MoneyFromJson(json::parse(text).at("price"));
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(back->cents, money->cents) << text;
  }
  EXPECT_EQ(SerializeJson(json::object{{"price", MoneyToJson(Money{1250})}}), R"({"price":12.5})");
  EXPECT_EQ(SerializeJson(json::object{{"price", MoneyToJson(Money{700})}}), R"({"price":7})");
}

TEST(SerializeJsonTest, MatchesBoostExceptForDoubles) {
  json::value v = {{"name", "a \"lamp\"\n"},
                   {"keywords", json::array{"red", "x"}},
                   {"n", 3},
                   {"ok", true},
                   {"none", nullptr},
                   {"nested", {{"up", 1}}}};
  EXPECT_EQ(SerializeJson(v), json::serialize(v));
  EXPECT_EQ(SerializeJson(json::value(0.1)), "0.1");
  EXPECT_EQ(json::parse(SerializeJson(json::value(1e300))).as_double(), 1e300);
}

TEST(JsonFieldsTest, ReadMissingFieldsLeniently) {
  json::value v = json::parse(R"({"id":"3-7","quantity":4,"keywords":["red","lamp"]})");
  EXPECT_EQ(TextField(v, "id"), "3-7");
  EXPECT_EQ(TextField(v, "keywords"), "red,lamp");
  EXPECT_EQ(TextField(v, "missing"), "");
  EXPECT_EQ(IntField(v, "quantity"), 4);
  EXPECT_EQ(IntField(v, "id", -1), -1);
  EXPECT_TRUE(ArrayField(v, "items").empty());
  EXPECT_EQ(TextField(json::value("not an object"), "id"), "");
}

TEST(ParseJsonBodyTest, EmptyIsNullAndGarbageIsInternal) {
  EXPECT_TRUE(ParseJsonBody("")->is_null());
  EXPECT_EQ(ParseJsonBody("<html>").status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace mp::client
