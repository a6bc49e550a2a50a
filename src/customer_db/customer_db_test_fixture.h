#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/password.h"
#include "common/status.h"
#include "common/status_testing.h"
#include "customer_db/customer_db_service.h"
#include "rpc/customer_db_client.h"
#include "rpc/server.h"
#include "storage/customer_schema.h"
#include "storage/test_database.h"

namespace mp::customer_db::testing {

inline constexpr int64_t kTimeoutMs = 300'000;
inline constexpr char kPassword[] = "correct horse";

using mp::testing::HasError;

inline v1::SessionRequest Session(const std::string& id, v1::Role role) {
  v1::SessionRequest s;
  s.set_session_id(id);
  s.set_role(role);
  return s;
}

// "1-1:2 3-7:1": the cart's lines in order, for compact comparisons.
inline v1::ListPurchasesRequest PurchasesOf(const v1::SessionRequest& session) {
  v1::ListPurchasesRequest r;
  *r.mutable_session() = session;
  return r;
}

inline std::string Lines(const v1::Cart& cart) {
  std::string out;
  for (const v1::CartLine& line : cart.lines()) {
    if (!out.empty()) out += ' ';
    out += line.item_id() + ":" + std::to_string(line.quantity());
  }
  return out;
}

// The real CustomerDb service on 127.0.0.1:0 over a fresh database of the
// parameter's engine, called through the real client over gRPC.
class CustomerDbServiceTest : public ::testing::TestWithParam<storage::Engine> {
 protected:
  void SetUp() override {
    auto db = storage::testing::TestDatabase::Create(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    Status migrated = storage::MigrateCustomerDatabase(db_->db());
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
    accounts_ = std::make_unique<storage::AccountRepository>(db_->db());
    sessions_ = std::make_unique<storage::SessionRepository>(db_->db(), clock_, kTimeoutMs);
    carts_ = std::make_unique<storage::CartRepository>(db_->db(), *sessions_);
    purchases_ = std::make_unique<storage::PurchaseRepository>(db_->db(), *sessions_);
    logins_ = std::make_unique<storage::LoginThrottleRepository>(db_->db(), clock_);
    pool_ = std::make_unique<rpc::HandlerPool>(8);
    service_ = std::make_unique<CustomerDbService>(*accounts_, *sessions_, *carts_, *purchases_,
                                                   *logins_, hasher_, *pool_);
    auto server = rpc::GrpcServer::Start("127.0.0.1:0", {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    client_ = std::make_unique<rpc::CustomerDbClient>(
        rpc::ClientOptions{.addresses = {"127.0.0.1:" + std::to_string(server_->port())}});
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    // Joins the handler threads before the service goes. Shutdown already
    // waited for every call, but through gRPC, which ThreadSanitizer cannot
    // see (scripts/tsan.supp); the join it can.
    pool_.reset();
  }

  StatusOr<int64_t> Create(v1::Role role, const std::string& username,
                           const std::string& password = kPassword) {
    v1::CreateAccountRequest req;
    req.set_role(role);
    req.set_username(username);
    req.set_password(password);
    req.set_name("Name of " + username);
    auto resp = client_->CreateAccount(req);
    if (!resp.ok()) return resp.status();
    return resp->user_id();
  }

  StatusOr<v1::LoginResponse> Login(v1::Role role, const std::string& username,
                                    const std::string& password = kPassword) {
    v1::LoginRequest req;
    req.set_role(role);
    req.set_username(username);
    req.set_password(password);
    return client_->Login(req);
  }

  // Creates an account and opens a session: {user_id, session}.
  std::pair<int64_t, v1::SessionRequest> SignUp(v1::Role role, const std::string& username) {
    auto id = Create(role, username);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    auto login = Login(role, username);
    EXPECT_TRUE(login.ok()) << login.status().ToString();
    if (!id.ok() || !login.ok()) return {0, Session("", role)};
    EXPECT_EQ(login->user_id(), *id);
    return {*id, Session(login->session_id(), role)};
  }

  StatusOr<v1::Cart> Add(const v1::SessionRequest& session, const std::string& item_id,
                         int64_t quantity, int64_t available) {
    v1::AddToCartRequest req;
    *req.mutable_session() = session;
    req.set_item_id(item_id);
    req.set_quantity(quantity);
    req.set_available(available);
    return client_->AddToCart(req);
  }

  FakeClock clock_;
  PasswordHasher hasher_{2};
  std::unique_ptr<storage::testing::TestDatabase> db_;
  std::unique_ptr<storage::AccountRepository> accounts_;
  std::unique_ptr<storage::SessionRepository> sessions_;
  std::unique_ptr<storage::CartRepository> carts_;
  std::unique_ptr<storage::PurchaseRepository> purchases_;
  std::unique_ptr<rpc::HandlerPool> pool_;
  std::unique_ptr<storage::LoginThrottleRepository> logins_;
  std::unique_ptr<CustomerDbService> service_;
  std::unique_ptr<rpc::GrpcServer> server_;
  std::unique_ptr<rpc::CustomerDbClient> client_;
};

}  // namespace mp::customer_db::testing
