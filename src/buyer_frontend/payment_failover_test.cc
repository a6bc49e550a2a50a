// SoapPurchasePayment over replicas of the payment service: real servers on
// loopback sharing one store of decisions, and an address where nothing
// listens standing for a replica that died.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "buyer_frontend/purchase_services.h"
#include "common/clock.h"
#include "payment/charge_policy.h"
#include "payment/payment_server.h"
#include "rpc/payment_client.h"
#include "storage/payment_repository.h"
#include "storage/test_database.h"

namespace mp::buyer_frontend {
namespace {

rpc::ChargeRequest GoodCard(std::string transaction_id) {
  return {.transaction_id = std::move(transaction_id),
          .holder_name = "Bob",
          .card_number = "4111111111111111",
          .expiration = "12/99",
          .security_code = "",
          .amount_cents = 1250};
}

// A payment service replica: its server and its client.
struct Replica {
  Replica(double approval_rate, storage::PaymentRepository& repo)
      : policy(approval_rate, 7, clock) {
    payment::PaymentOptions options;
    options.listen = "127.0.0.1:0";
    options.threads = 2;
    server = std::make_unique<payment::PaymentServer>(options, policy, repo);
    Status started = server->Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
    client = std::make_unique<rpc::PaymentClient>(
        "http://127.0.0.1:" + std::to_string(server->port()) + "/", std::chrono::seconds(2));
  }
  SystemClock clock;
  payment::ChargePolicy policy;
  std::unique_ptr<payment::PaymentServer> server;
  std::unique_ptr<rpc::PaymentClient> client;
};

class PaymentFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = storage::testing::TestDatabase::Create(storage::Engine::kSqlite);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::PaymentRepository::Migrate(db_->db()).ok());
    repo_ = std::make_unique<storage::PaymentRepository>(db_->db());
  }

  std::unique_ptr<storage::testing::TestDatabase> db_;
  std::unique_ptr<storage::PaymentRepository> repo_;
  // Port 1 on loopback: refused, as a replica's port is once it died.
  rpc::PaymentClient dead_{"http://127.0.0.1:1/", std::chrono::seconds(2)};
};

TEST_F(PaymentFailoverTest, ChargeThatFindsAReplicaDeadIsAnsweredByTheNext) {
  Replica live(1.0, *repo_);
  SoapPurchasePayment payment({&dead_, live.client.get()});
  // Round robin starts at each replica in turn: both orders are tried.
  for (int i = 0; i < 4; ++i) {
    std::string id = "t";
    id += std::to_string(i);
    auto decision = payment.Charge(GoodCard(id));
    ASSERT_TRUE(decision.ok()) << decision.status().ToString();
    EXPECT_TRUE(decision->approved);
  }
}

TEST_F(PaymentFailoverTest, EveryReplicaDeadIsUnavailable) {
  rpc::PaymentClient also_dead("http://127.0.0.1:1/", std::chrono::seconds(2));
  SoapPurchasePayment payment({&dead_, &also_dead});
  auto decision = payment.Charge(GoodCard("t"));
  EXPECT_EQ(decision.status().code(), StatusCode::kUnavailable);
}

TEST_F(PaymentFailoverTest, ADecisionIsNeverAskedOfAnotherReplica) {
  // Two live replicas that would decide differently; the first one asked
  // decides, and the other, asked the same transaction again, answers with
  // the stored decision.
  Replica declines(0.0, *repo_);
  Replica approves(1.0, *repo_);
  SoapPurchasePayment payment({declines.client.get(), approves.client.get()});
  auto first = payment.Charge(GoodCard("same"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->approved);
  EXPECT_EQ(first->reason, "declined");
  auto again = payment.Charge(GoodCard("same"));  // goes to the other replica
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->approved);
  auto direct = approves.client->Charge(GoodCard("same"));
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  EXPECT_FALSE(direct->approved);
  auto fresh = approves.client->Charge(GoodCard("other"));
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_TRUE(fresh->approved);
}

}  // namespace
}  // namespace mp::buyer_frontend
