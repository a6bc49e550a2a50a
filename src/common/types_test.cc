#include "common/types.h"

#include <gtest/gtest.h>

namespace mp {
namespace {

TEST(ItemIdTest, ParsesCanonicalForm) {
  auto id = ItemId::Parse("3-1042");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->category, 3);
  EXPECT_EQ(id->number, 1042);
  EXPECT_EQ(id->ToString(), "3-1042");
}

TEST(ItemIdTest, RejectsEverythingElseNamingTheField) {
  for (const char* bad : {"", "3", "-1", "3-", "a-1", "03-1", "3-01", "+3-1", "3--1", "3-1-2",
                          "2147483648-1", "3-99999999999999999999", " 3-1"}) {
    auto id = ItemId::Parse(bad);
    ASSERT_FALSE(id.ok()) << bad;
    EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(id.status().message().find("item_id"), std::string::npos);
  }
}

TEST(MoneyTest, ParsesExactCents) {
  struct Row {
    const char* text;
    int64_t cents;
  };
  for (Row row : {Row{"1", 100}, Row{"0.01", 1}, Row{"12.5", 1250}, Row{"12.34", 1234},
                  Row{"1000000000", 100'000'000'000}, Row{"1000000000.00", 100'000'000'000}}) {
    auto m = Money::Parse(row.text);
    ASSERT_TRUE(m.ok()) << row.text;
    EXPECT_EQ(m->cents, row.cents) << row.text;
  }
  EXPECT_EQ(Money{1250}.ToString(), "12.50");
  EXPECT_EQ(Money{7}.ToString(), "0.07");
}

TEST(MoneyTest, RejectsNonPositiveTooPreciseOrTooLarge) {
  for (const char* bad :
       {"0", "0.00", "-1", "1.234", "1e3", "1.", ".5", "abc", "1000000000.01", "99999999999"}) {
    EXPECT_FALSE(Money::Parse(bad).ok()) << bad;
  }
}

TEST(ValidationTest, NamesCountCharactersNotBytes) {
  EXPECT_TRUE(ValidateName("name", std::string(32, 'a')).ok());
  EXPECT_FALSE(ValidateName("name", std::string(33, 'a')).ok());
  EXPECT_TRUE(ValidateName("name", "Ünïcödé wörd").ok());
  EXPECT_FALSE(ValidateName("name", "").ok());
  EXPECT_FALSE(ValidateName("name", "   ").ok());
  EXPECT_FALSE(ValidateName("name", "tab\there").ok());
  EXPECT_FALSE(ValidateName("name", "\xff\xfe").ok());
}

TEST(ValidationTest, PasswordLengthLimits) {
  EXPECT_FALSE(ValidatePassword("short").ok());
  EXPECT_TRUE(ValidatePassword("12345678").ok());
  EXPECT_TRUE(ValidatePassword(std::string(128, 'x')).ok());
  EXPECT_FALSE(ValidatePassword(std::string(129, 'x')).ok());
}

TEST(ValidationTest, KeywordsAreNormalizedAndChecked) {
  auto k = NormalizeKeywords({"Red", "shoe", "SIZE-9"});
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, (std::vector<std::string>{"red", "shoe", "size-9"}));
  EXPECT_FALSE(NormalizeKeywords({"red", "RED"}).ok());
  EXPECT_FALSE(NormalizeKeywords({"a", "b", "c", "d", "e", "f"}).ok());
  EXPECT_FALSE(NormalizeKeywords({"toolongword"}).ok());
  EXPECT_FALSE(NormalizeKeywords({""}).ok());
  EXPECT_FALSE(NormalizeKeywords({"a,b"}).ok());
  EXPECT_TRUE(NormalizeKeywords({}).ok());
}

TEST(ValidationTest, CategoryPriceQuantityBounds) {
  EXPECT_TRUE(ValidateCategory(0).ok());
  EXPECT_TRUE(ValidateCategory(2147483647).ok());
  EXPECT_FALSE(ValidateCategory(-1).ok());
  EXPECT_FALSE(ValidateCategory(2147483648).ok());
  EXPECT_FALSE(ValidatePriceCents(0).ok());
  EXPECT_TRUE(ValidatePriceCents(kMaxPriceCents).ok());
  EXPECT_FALSE(ValidatePriceCents(kMaxPriceCents + 1).ok());
  EXPECT_FALSE(ValidateQuantity("quantity", 0).ok());
  EXPECT_TRUE(ValidateQuantity("quantity", kMaxQuantity).ok());
}

TEST(ValidationTest, KeysAreShortAndPlain) {
  EXPECT_TRUE(ValidateKey("session_id", "abc-123_DEF").ok());
  EXPECT_FALSE(ValidateKey("session_id", "").ok());
  EXPECT_FALSE(ValidateKey("session_id", "a b").ok());
  EXPECT_FALSE(ValidateKey("session_id", std::string(129, 'a')).ok());
}

}  // namespace
}  // namespace mp
