#include "common/password.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace mp {
namespace {

TEST(PasswordHasherTest, VerifiesTheHashedPasswordOnly) {
  PasswordHasher hasher(2);
  auto hash = hasher.Hash("correct horse");
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_TRUE(hash->starts_with("$argon2id$")) << *hash;
  EXPECT_EQ(hash->find("correct horse"), std::string::npos);
  EXPECT_TRUE(hasher.Verify("correct horse", *hash));
  EXPECT_FALSE(hasher.Verify("correct horsE", *hash));
  EXPECT_FALSE(hasher.Verify("correct horse ", *hash));
  EXPECT_FALSE(hasher.Verify("", *hash));
}

TEST(PasswordHasherTest, SaltsEveryHash) {
  PasswordHasher hasher(2);
  auto first = hasher.Hash("same password");
  auto second = hasher.Hash("same password");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);
  EXPECT_TRUE(hasher.Verify("same password", *first));
  EXPECT_TRUE(hasher.Verify("same password", *second));
}

TEST(PasswordHasherTest, MalformedEncodedHashNeverVerifies) {
  PasswordHasher hasher(1);
  auto hash = hasher.Hash("password1");
  ASSERT_TRUE(hash.ok());
  std::string truncated = hash->substr(0, hash->size() / 2);
  std::string tampered = *hash;
  char& c = tampered[tampered.size() - 10];  // inside the hash digest
  c = c == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string(), std::string("password1"), std::string("$argon2id$"),
                                 std::string("$argon2id$v=19$m=19456,t=2,p=1$$"), truncated,
                                 tampered, std::string(1000, '$')}) {
    EXPECT_FALSE(hasher.Verify("password1", bad)) << bad;
    EXPECT_FALSE(hasher.Verify("", bad)) << bad;
  }
}

TEST(RandomTokenTest, IsSixtyFourHexCharactersAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string token = RandomToken();
    ASSERT_EQ(token.size(), 64u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace mp
