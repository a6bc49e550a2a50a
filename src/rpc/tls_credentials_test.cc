// Mutual TLS between the services (tls_credentials.h): a gRPC server with
// the customer DB's certificate takes calls from the frontend's certificate
// only.
#include "rpc/tls_credentials.h"

#include <gtest/gtest.h>

#include "product_db/product_db_service.h"
#include "rpc/health_client.h"
#include "rpc/product_db_client.h"
#include "rpc/server.h"
#include "storage/product_repository.h"
#include "storage/test_database.h"
#include "tls/tls_testing.h"

namespace mp::rpc {
namespace {

using tls::testing::TestPki;

std::shared_ptr<grpc::ChannelCredentials> Client(const tls::TlsFiles& files) {
  auto credentials = ChannelCredentials(files);
  EXPECT_TRUE(credentials.ok()) << credentials.status().ToString();
  return credentials.ok() ? *credentials : nullptr;
}

class GrpcTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto credentials = ServerCredentials(pki_.Files(tls::kCustomerDb), "frontend");
    ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
    auto server = GrpcServer::Start("127.0.0.1:0", {}, *credentials);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  std::string Address(const std::string& host = "127.0.0.1") const {
    return host + ":" + std::to_string(server_->port());
  }
  Status Call(std::shared_ptr<grpc::ChannelCredentials> credentials,
              const std::string& host = "127.0.0.1") const {
    return CheckHealth(Address(host), "", std::chrono::seconds(5), std::move(credentials));
  }

  TestPki pki_;
  std::unique_ptr<GrpcServer> server_;
};

TEST_F(GrpcTlsTest, AFrontendCertificateIsLetIn) {
  EXPECT_TRUE(Call(Client(pki_.Files(tls::kFrontend))).ok());
  // (Not called as "localhost": gRPC resolves names with c-ares, which
  // leaks a few bytes per process and fails the LeakSanitizer build. The
  // payment and HTTPS tests check a DNS name.)
}

TEST_F(GrpcTlsTest, RefusesAClientWithoutACertificate) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls::ReadPemFile(pki_.Files(tls::kFrontend).ca).value();
  EXPECT_EQ(Call(grpc::SslCredentials(options)).code(), StatusCode::kUnavailable);
}

TEST_F(GrpcTlsTest, RefusesCertificatesNotFromTheCa) {
  EXPECT_EQ(Call(Client(pki_.SelfSigned())).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Call(Client(pki_.OtherCa())).code(), StatusCode::kUnavailable);
}

TEST_F(GrpcTlsTest, RefusesTheCertificatesOfOtherServices) {
  // A DB service's own certificate is for servers only: the handshake fails.
  Status status = Call(Client(pki_.Files(tls::kProductDb)));
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  // A client certificate from the CA, but not a frontend's: every call is
  // refused.
  status = Call(Client(pki_.WrongRole()));
  EXPECT_EQ(status.code(), StatusCode::kPermissionDenied) << status.ToString();
  EXPECT_NE(status.message().find("customer-db"), std::string::npos) << status.ToString();
}

TEST_F(GrpcTlsTest, RefusesAPlaintextClient) {
  EXPECT_EQ(Call(nullptr).code(), StatusCode::kUnavailable);
}

TEST_F(GrpcTlsTest, AClientRefusesAServerWhoseCertificateLacksTheHost) {
  // The frontend's certificate names no host at all; a server presenting it
  // is not trusted for 127.0.0.1.
  auto credentials = ServerCredentials(pki_.WrongRole(), "frontend");
  ASSERT_TRUE(credentials.ok());
  auto server = GrpcServer::Start("127.0.0.1:0", {}, *credentials);
  ASSERT_TRUE(server.ok());
  Status status = CheckHealth("127.0.0.1:" + std::to_string((*server)->port()), "",
                              std::chrono::seconds(5), Client(pki_.Files(tls::kFrontend)));
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
}

TEST_F(GrpcTlsTest, ATlsClientRefusesAPlaintextServer) {
  auto plain = GrpcServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(plain.ok());
  Status status = CheckHealth("127.0.0.1:" + std::to_string((*plain)->port()), "",
                              std::chrono::seconds(5), Client(pki_.Files(tls::kFrontend)));
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
}

TEST(GrpcTlsServiceTest, AFrontendCallsTheProductDbThroughTheTypedClient) {
  TestPki pki;
  auto db = storage::testing::TestDatabase::Create(storage::Engine::kSqlite);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(storage::ProductRepository::Migrate((*db)->db()).ok());
  storage::ProductRepository repo((*db)->db());
  HandlerPool pool(0);
  product_db::ProductDbService service(repo, pool);
  auto credentials = ServerCredentials(pki.Files(tls::kProductDb), "frontend");
  ASSERT_TRUE(credentials.ok());
  auto server = GrpcServer::Start("127.0.0.1:0", {&service}, *credentials);
  ASSERT_TRUE(server.ok());
  std::string address = "127.0.0.1:" + std::to_string((*server)->port());

  v1::GetSellerRatingRequest request;
  request.set_seller_id(7);
  ProductDbClient frontend({.addresses = {address},
                            .channels_per_address = 2,
                            .credentials = Client(pki.Files(tls::kFrontend))});
  auto rating = frontend.GetSellerRating(request);
  ASSERT_TRUE(rating.ok()) << rating.status().ToString();
  EXPECT_EQ(rating->up(), 0);

  // The customer DB's key cannot be used to call the product DB.
  ProductDbClient other({.addresses = {address}, .credentials = Client(pki.WrongRole())});
  EXPECT_EQ(other.GetSellerRating(request).status().code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace mp::rpc
