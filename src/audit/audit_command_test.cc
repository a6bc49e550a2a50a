// `marketplace audit` as users run it: the real binary on a data directory
// laid out as `marketplace up --data-dir` leaves it (src/launcher/system.cc).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "common/password.h"
#include "storage/customer_schema.h"
#include "storage/database.h"
#include "storage/payment_repository.h"
#include "storage/product_repository.h"

namespace mp::audit {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

class AuditCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* bin = std::getenv("MP_TEST_BIN_DIR");
    ASSERT_NE(bin, nullptr) << "MP_TEST_BIN_DIR is unset: run through ctest, or set it to "
                               "build/bin";
    marketplace_ = (fs::path(bin) / "marketplace").string();
    dir_ = fs::temp_directory_path() / ("mp-audit-" + RandomToken().substr(0, 12));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // The three SQLite files of `marketplace up`, with their schemas.
  void MakeDataDir() {
    auto migrate = [&](const char* file, Status (*fn)(storage::Database&)) {
      auto db = storage::Database::Open({.uri = (dir_ / file).string()});
      ASSERT_TRUE(db.ok()) << db.status().ToString();
      Status s = fn(**db);
      ASSERT_TRUE(s.ok()) << s.ToString();
    };
    migrate("customer.db", &storage::MigrateCustomerDatabase);
    migrate("product.db", &storage::ProductRepository::Migrate);
    migrate("payment.db", &storage::PaymentRepository::Migrate);
  }

  void Write(const char* file, const std::string& sql) {
    auto db = storage::Database::Open({.uri = (dir_ / file).string()});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    Status s = (*db)->Write([&](storage::Connection& conn) { return conn.Exec(sql).status(); });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  Outcome Run(const std::string& args) {
    Outcome out;
    std::string command = marketplace_ + " audit " + args + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return out;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.output.append(buffer, n);
    int status = pclose(pipe);
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
  }

  std::string marketplace_;
  fs::path dir_;
};

TEST_F(AuditCommandTest, ExitCodeTellsCleanFromCorruptedFromUnreadable) {
  // No databases yet: an error, and no empty files made on the way.
  Outcome missing = Run("--data-dir " + dir_.string());
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("customer.db"));
  EXPECT_FALSE(fs::exists(dir_ / "customer.db"));

  MakeDataDir();
  Outcome clean = Run("--data-dir " + dir_.string());
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_THAT(clean.output, HasSubstr("marketplace audit: clean"));

  Write("payment.db",
        "INSERT INTO charges (transaction_id, approved, reason, amount_cents, card_last4, "
        "time_ms) VALUES ('p-ghost', 1, 'approved', 700, '1111', 1)");
  Write("customer.db",
        "INSERT INTO accounts (id, role, username, name, password_hash, units) "
        "VALUES (7, 1, 'alice', 'Alice', 'x', 4)");
  Outcome corrupted = Run("--data-dir " + dir_.string());
  EXPECT_EQ(corrupted.exit_code, 1) << corrupted.output;
  EXPECT_THAT(corrupted.output,
              HasSubstr("invariant 2 (charges): purchase p-ghost: approved charge of 7.00 "
                        "without a purchase attempt"));
  EXPECT_THAT(corrupted.output,
              HasSubstr("invariant 3 (units): account 7: items_sold 4, its purchase lines give 0"));
  EXPECT_THAT(corrupted.output, HasSubstr("marketplace audit: 2 violations"));

  Outcome bad_flag = Run("--data-dir " + dir_.string() + " --pending-bound soon");
  EXPECT_EQ(bad_flag.exit_code, 2) << bad_flag.output;
  Outcome both = Run("--data-dir " + dir_.string() + " --db-url postgresql://localhost/x");
  EXPECT_EQ(both.exit_code, 2) << both.output;
}

}  // namespace
}  // namespace mp::audit
