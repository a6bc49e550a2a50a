#include "tls/certificates.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "tls/ssl_context.h"
#include "tls/tls_files.h"
#include "tls/tls_testing.h"

namespace mp::tls {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& path) { return ReadPemFile(path.string()).value(); }

mode_t Mode(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

class EnsureCertificatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mp-certs.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ / "tls";
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
  fs::path dir_;
};

const char* const kRoles[] = {"frontend", "customer-db", "product-db", "payment", "rest"};

TEST_F(EnsureCertificatesTest, WritesCaAndEveryRoleWithPrivateKeys) {
  auto written = EnsureCertificates(dir_, {"db1.example", "10.10.1.2"});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->size(), 12u);
  EXPECT_EQ(Mode(dir_), 0700u);
  EXPECT_EQ(Mode(dir_ / "ca.key"), 0600u);
  EXPECT_EQ(Mode(dir_ / "ca.pem"), 0644u);
  std::string ca = Read(dir_ / "ca.pem");
  for (std::string role : kRoles) {
    SCOPED_TRACE(role);
    EXPECT_EQ(Mode(dir_ / (role + ".key")), 0600u);
    EXPECT_EQ(Mode(dir_ / (role + ".pem")), 0644u);
    std::string cert = Read(dir_ / (role + ".pem"));
    std::string key = Read(dir_ / (role + ".key"));
    EXPECT_NE(key.find("BEGIN PRIVATE KEY"), std::string::npos);
    CertificateSpec spec{.role = role};
    if (role != "frontend") {
      spec.hosts = {"localhost", "127.0.0.1", "::1", "db1.example", "10.10.1.2"};
    }
    EXPECT_TRUE(CheckCertificate(ca, cert, key, spec, 365).ok())
        << CheckCertificate(ca, cert, key, spec, 365).ToString();
    // Valid for about 825 days, not for ten years.
    EXPECT_FALSE(CheckCertificate(ca, cert, key, spec, 900).ok());
  }
  // A client certificate names no host.
  EXPECT_FALSE(CheckCertificate(ca, Read(dir_ / "frontend.pem"), "",
                                {.role = "frontend", .hosts = {"localhost"}})
                   .ok());
  // Each certificate's key is its own.
  EXPECT_FALSE(CheckCertificate(ca, Read(dir_ / "payment.pem"), Read(dir_ / "frontend.key"),
                                {.role = "payment"})
                   .ok());
  EXPECT_FALSE(fs::exists(dir_ / "ca.pem.tmp"));
}

TEST_F(EnsureCertificatesTest, SecondRunKeepsEveryFile) {
  ASSERT_TRUE(EnsureCertificates(dir_, {"db1.example"}).ok());
  std::map<std::string, std::string> before;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    before[entry.path().filename()] = Read(entry.path());
  }
  auto again = EnsureCertificates(dir_, {"db1.example"});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->empty());
  for (const auto& [name, text] : before) EXPECT_EQ(Read(dir_ / name), text) << name;
}

TEST_F(EnsureCertificatesTest, IssuesOnlyWhatIsMissingOrLacksAHost) {
  ASSERT_TRUE(EnsureCertificates(dir_, {}).ok());
  std::string ca = Read(dir_ / "ca.pem");
  std::string frontend = Read(dir_ / "frontend.pem");
  fs::remove(dir_ / "payment.key");
  auto written = EnsureCertificates(dir_, {});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, (std::vector<std::string>{"payment.key", "payment.pem"}));
  // A new host: the server certificates are issued again, the rest kept.
  written = EnsureCertificates(dir_, {"node9"});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->size(), 8u);
  EXPECT_EQ(Read(dir_ / "ca.pem"), ca);
  EXPECT_EQ(Read(dir_ / "frontend.pem"), frontend);
  EXPECT_TRUE(CheckCertificate(ca, Read(dir_ / "product-db.pem"), "",
                               {.role = "product-db", .hosts = {"node9"}})
                  .ok());
}

TEST_F(EnsureCertificatesTest, ACertificateFromAnotherCaIsReplaced) {
  ASSERT_TRUE(EnsureCertificates(dir_, {}).ok());
  KeyPair other = CreateCa().value();
  KeyPair foreign =
      IssueCertificate(other, {.role = "customer-db", .hosts = LoopbackHosts()}).value();
  std::ofstream(dir_ / "customer-db.pem") << foreign.cert_pem;
  std::ofstream(dir_ / "customer-db.key") << foreign.key_pem;
  auto written = EnsureCertificates(dir_, {});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->size(), 2u);
  EXPECT_NE(Read(dir_ / "customer-db.pem"), foreign.cert_pem);
}

TEST_F(EnsureCertificatesTest, WithoutTheCaKeyNothingIsIssued) {
  ASSERT_TRUE(EnsureCertificates(dir_, {}).ok());
  fs::remove(dir_ / "ca.key");
  EXPECT_TRUE(EnsureCertificates(dir_, {}).ok());  // nothing to issue
  fs::remove(dir_ / "frontend.pem");
  auto written = EnsureCertificates(dir_, {});
  EXPECT_EQ(written.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(written.status().message().find("ca.key"), std::string::npos);
}

TEST_F(EnsureCertificatesTest, RefusesAHostThatCouldInjectAName) {
  auto written = EnsureCertificates(dir_, {"a.example,DNS:evil"});
  EXPECT_EQ(written.status().code(), StatusCode::kInvalidArgument);
}

TEST(TlsFilesTest, ResolvesFromTheDirectoryOrExplicitPaths) {
  testing::TestPki pki;
  auto files = ResolveTlsFiles({.dir = pki.dir().string()}, kPayment);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(files->ca, (pki.dir() / "ca.pem").string());
  EXPECT_EQ(files->cert, (pki.dir() / "payment.pem").string());
  EXPECT_EQ(files->key, (pki.dir() / "payment.key").string());
  // An explicit path wins over the directory's.
  std::string other = (pki.dir() / "frontend.pem").string();
  files = ResolveTlsFiles({.dir = pki.dir().string(), .cert = other}, kPayment);
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->cert, other);
  // Nothing given: plaintext.
  files = ResolveTlsFiles({}, kPayment);
  ASSERT_TRUE(files.ok());
  EXPECT_FALSE(files->enabled());
  // Some but not all: refused.
  EXPECT_EQ(ResolveTlsFiles({.ca = files->ca + "x"}, kPayment).status().code(),
            StatusCode::kInvalidArgument);
  // A file that is not there.
  auto missing = ResolveTlsFiles({.dir = pki.dir().string()}, "no-such-role");
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("no-such-role.pem"), std::string::npos);
}

TEST(TlsFilesTest, DescribeNamesPathsNeverContents) {
  testing::TestPki pki;
  TlsFiles files = pki.Files(kFrontend);
  std::string text = Describe(files);
  EXPECT_NE(text.find(files.key), std::string::npos);
  EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(Describe({}), "tls=off");
}

TEST(SslContextTest, ContextsLoadTheFilesAndRefuseAMismatchedKey) {
  testing::TestPki pki;
  EXPECT_TRUE(NewServerContext(pki.Files(kPayment)).ok());
  EXPECT_TRUE(NewClientContext(pki.Files(kFrontend), "127.0.0.1").ok());
  EXPECT_TRUE(NewClientContext(pki.Files(kFrontend), "localhost").ok());
  TlsFiles mixed = pki.Files(kPayment);
  mixed.key = pki.Files(kFrontend).key;
  auto ctx = NewServerContext(mixed);
  EXPECT_EQ(ctx.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(ctx.status().message().find(mixed.key), std::string::npos);
}

}  // namespace
}  // namespace mp::tls
