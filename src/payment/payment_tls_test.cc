// The SOAP hop with mutual TLS: the payment service takes connections from
// the frontend's certificate only, and the client trusts only a server
// certificate from the CA for the URL's host.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "payment/charge_policy.h"
#include "payment/payment_server.h"
#include "rpc/payment_client.h"
#include "storage/payment_repository.h"
#include "storage/test_database.h"
#include "tls/tls_testing.h"

namespace mp::payment {
namespace {

using tls::testing::TestPki;

rpc::ChargeRequest Charge(const std::string& id) {
  return {.transaction_id = id,
          .holder_name = "Bob",
          .card_number = "4111111111111111",
          .expiration = "12/99",
          .security_code = "",
          .amount_cents = 1250};
}

class PaymentTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::testing::TestDatabase::Create(storage::Engine::kSqlite);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::PaymentRepository::Migrate(db_->db()).ok());
    repo_ = std::make_unique<storage::PaymentRepository>(db_->db());
    server_ = StartServer({.dir = pki_.dir().string()});
  }

  std::unique_ptr<PaymentServer> StartServer(const tls::TlsFlags& flags) {
    PaymentOptions options;
    options.listen = "127.0.0.1:0";
    options.threads = 2;
    options.tls = flags;
    auto server = std::make_unique<PaymentServer>(options, policy_, *repo_);
    Status started = server->Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
    return server;
  }

  static std::string Url(const PaymentServer& server, const std::string& scheme = "https",
                         const std::string& host = "127.0.0.1") {
    return scheme + "://" + host + ":" + std::to_string(server.port()) + "/";
  }

  // Charges transaction `id` at `url` as a client with `files`.
  Status ChargeAs(const tls::TlsFiles& files, const std::string& id, const std::string& url) {
    auto context = rpc::PaymentTlsContext(url, files);
    if (!context.ok()) return context.status();
    rpc::PaymentClient client(url, *context, std::chrono::seconds(3));
    auto decision = client.Charge(Charge(id));
    if (decision.ok()) {
      EXPECT_EQ(decision->reason, "approved");
    }
    return decision.status();
  }
  Status ChargeAs(const tls::TlsFiles& files, const std::string& id) {
    return ChargeAs(files, id, Url(*server_));
  }

  // True when the service decided (and so stored) transaction `id`.
  bool Decided(const std::string& id) {
    auto found = repo_->Find(id);
    EXPECT_TRUE(found.ok());
    return found.ok() && found->has_value();
  }

  TestPki pki_;
  std::unique_ptr<storage::testing::TestDatabase> db_;
  std::unique_ptr<storage::PaymentRepository> repo_;
  SystemClock clock_;
  ChargePolicy policy_{1.0, 7, clock_};
  std::unique_ptr<PaymentServer> server_;
};

TEST_F(PaymentTlsTest, TheFrontendCharges) {
  EXPECT_TRUE(ChargeAs(pki_.Files(tls::kFrontend), "t1").ok());
  EXPECT_TRUE(ChargeAs(pki_.Files(tls::kFrontend), "t2").ok());  // a second connection
  EXPECT_TRUE(ChargeAs(pki_.Files(tls::kFrontend), "t3", Url(*server_, "https", "localhost")).ok());
  EXPECT_TRUE(Decided("t1") && Decided("t3"));
}

TEST_F(PaymentTlsTest, LaterConnectionsResumeTheSessionAndStillNeedTheFrontendRole) {
  std::string url = Url(*server_);
  auto context = rpc::PaymentTlsContext(url, pki_.Files(tls::kFrontend));
  ASSERT_TRUE(context.ok()) << context.status().ToString();
  rpc::PaymentClient client(url, *context, std::chrono::seconds(3));
  for (const char* id : {"r1", "r2", "r3"}) {
    auto decision = client.Charge(Charge(id));
    ASSERT_TRUE(decision.ok()) << decision.status().ToString();
    EXPECT_EQ(decision->reason, "approved");
    client.CloseIdle();  // the next charge opens a new connection
  }
  EXPECT_EQ(client.resumed_handshakes(), 2u);
  EXPECT_TRUE(Decided("r1") && Decided("r2") && Decided("r3"));

  // A DB service's certificate is refused on a full handshake, so it never
  // holds a session to resume.
  EXPECT_EQ(ChargeAs(pki_.Files(tls::kCustomerDb), "r5").code(), StatusCode::kUnavailable);
  EXPECT_FALSE(Decided("r5"));
}

TEST_F(PaymentTlsTest, RefusesClientsWithoutAFrontendCertificateFromTheCa) {
  tls::TlsFiles no_certificate{.ca = pki_.Files(tls::kFrontend).ca};
  const std::pair<const char*, tls::TlsFiles> refused[] = {
      {"no certificate", no_certificate},
      {"self-signed", pki_.SelfSigned()},
      {"another CA", pki_.OtherCa()},
      {"a server certificate (product-db)", pki_.Files(tls::kProductDb)},
      {"a client certificate of another role", pki_.WrongRole()},
  };
  for (const auto& [what, files] : refused) {
    SCOPED_TRACE(what);
    std::string id = std::string("refused-") + what;
    EXPECT_EQ(ChargeAs(files, id).code(), StatusCode::kUnavailable);
    EXPECT_FALSE(Decided(id));
  }
  EXPECT_TRUE(ChargeAs(pki_.Files(tls::kFrontend), "after").ok());
}

TEST_F(PaymentTlsTest, RefusesAPlaintextClient) {
  rpc::PaymentClient client(Url(*server_, "http"), nullptr, std::chrono::seconds(3));
  EXPECT_EQ(client.Charge(Charge("plain")).status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(Decided("plain"));
}

TEST_F(PaymentTlsTest, TheClientRefusesServersItCannotTrust) {
  // A plaintext server.
  auto plain = StartServer({});
  EXPECT_EQ(ChargeAs(pki_.Files(tls::kFrontend), "p1", Url(*plain)).code(),
            StatusCode::kUnavailable);
  // A certificate from the CA that does not name the host.
  tls::TlsFiles wrong = pki_.WrongRole();
  auto unnamed = StartServer({.ca = wrong.ca, .cert = wrong.cert, .key = wrong.key});
  EXPECT_EQ(ChargeAs(pki_.Files(tls::kFrontend), "p2", Url(*unnamed)).code(),
            StatusCode::kUnavailable);
  // A certificate from another CA.
  tls::TlsFiles other = pki_.OtherCa();
  auto foreign =
      StartServer({.ca = pki_.Files(tls::kPayment).ca, .cert = other.cert, .key = other.key});
  EXPECT_EQ(ChargeAs(pki_.Files(tls::kFrontend), "p3", Url(*foreign)).code(),
            StatusCode::kUnavailable);
  EXPECT_FALSE(Decided("p1") || Decided("p2") || Decided("p3"));
}

TEST_F(PaymentTlsTest, TheUrlSchemeMustMatchTheTlsSetting) {
  EXPECT_EQ(rpc::PaymentTlsContext(Url(*server_), {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      rpc::PaymentTlsContext(Url(*server_, "http"), pki_.Files(tls::kFrontend)).status().code(),
      StatusCode::kInvalidArgument);
  auto plain = rpc::PaymentTlsContext(Url(*server_, "http"), {});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, nullptr);
}

TEST_F(PaymentTlsTest, ServesTheWsdlWithItsHttpsAddress) {
  EXPECT_NE(server_->wsdl().find("https://127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos);
}

}  // namespace
}  // namespace mp::payment
