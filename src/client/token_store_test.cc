#include "client/token_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace mp::client {
namespace {

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mp_token_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static mode_t Mode(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  }

  fs::path dir_;
};

TEST_F(TokenStoreTest, SaveCreatesOwnerOnlyFileEvenWithPermissiveUmask) {
  mode_t old_umask = ::umask(0);
  TokenStore store(dir_ / "config" / "marketplace" / "buyer.token");
  Status saved = store.Save("tok-123");
  ::umask(old_umask);
  ASSERT_TRUE(saved.ok()) << saved.ToString();
  EXPECT_EQ(Mode(store.path()), 0600u);
  EXPECT_EQ(Mode(store.path().parent_path()), 0700u);
  StatusOr<std::optional<std::string>> loaded = store.Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->value_or(""), "tok-123");
}

TEST_F(TokenStoreTest, OverwriteReplacesTokenAndNarrowsAWidenedFile) {
  TokenStore store(dir_ / "seller.token");
  ASSERT_TRUE(store.Save("first").ok());
  ASSERT_EQ(::chmod(store.path().c_str(), 0644), 0);
  ASSERT_TRUE(store.Save("second").ok());
  EXPECT_EQ(Mode(store.path()), 0600u);
  EXPECT_EQ(store.Load()->value_or(""), "second");
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(TokenStoreTest, RemoveDeletesTheFileAndIsIdempotent) {
  TokenStore store(dir_ / "buyer.token");
  ASSERT_TRUE(store.Save("tok").ok());
  ASSERT_TRUE(store.Remove().ok());
  EXPECT_FALSE(fs::exists(store.path()));
  EXPECT_TRUE(store.Remove().ok());
  StatusOr<std::optional<std::string>> loaded = store.Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value());
}

TEST(DefaultTokenPathTest, PrefersXdgConfigHomeThenHome) {
  EXPECT_EQ(DefaultTokenPath("seller", "/x", "/home/u"), fs::path("/x/marketplace/seller.token"));
  EXPECT_EQ(DefaultTokenPath("buyer", "", "/home/u"),
            fs::path("/home/u/.config/marketplace/buyer.token"));
  EXPECT_EQ(DefaultTokenPath("buyer", "", ""), fs::path(".marketplace-buyer.token"));
}

}  // namespace
}  // namespace mp::client
