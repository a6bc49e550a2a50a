#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/status_testing.h"
#include "product_db/product_db_service.h"
#include "rpc/product_db_client.h"
#include "rpc/server.h"
#include "storage/product_repository.h"
#include "storage/test_database.h"

namespace mp::product_db::testing {

using mp::testing::HasError;

struct NewItem {
  int64_t seller_id = 1;
  std::string name = "Red shoe";
  int64_t category = 3;
  std::vector<std::string> keywords = {"red", "shoe"};
  v1::Condition condition = v1::CONDITION_NEW;
  int64_t price_cents = 1999;
  int64_t quantity = 10;

  v1::RegisterItemRequest ToRequest() const {
    v1::RegisterItemRequest req;
    req.set_seller_id(seller_id);
    req.set_name(name);
    req.set_category(category);
    for (const std::string& word : keywords) req.add_keywords(word);
    req.set_condition(condition);
    req.set_price_cents(price_cents);
    req.set_quantity(quantity);
    return req;
  }
};

inline constexpr char kUnknownId[] = "3-999999";

// "3-1 3-4": the items' ids in order.
inline std::string Ids(const google::protobuf::RepeatedPtrField<v1::Item>& items) {
  std::string out;
  for (const v1::Item& item : items) {
    if (!out.empty()) out += ' ';
    out += item.id();
  }
  return out;
}

// "3-1/2 3-4/1": ids and scores of search results in order.
inline std::string Ranked(const v1::SearchResponse& response) {
  std::string out;
  for (const v1::ScoredItem& s : response.items()) {
    if (!out.empty()) out += ' ';
    out += s.item().id() + "/" + std::to_string(s.score());
  }
  return out;
}

// The real ProductDb service on 127.0.0.1:0 over a fresh database of the
// parameter's engine, called through the real client over gRPC.
class ProductDbServiceTest : public ::testing::TestWithParam<storage::Engine> {
 protected:
  void SetUp() override {
    auto db = storage::testing::TestDatabase::Create(GetParam());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    Status migrated = storage::ProductRepository::Migrate(db_->db());
    ASSERT_TRUE(migrated.ok()) << migrated.ToString();
    repo_ = std::make_unique<storage::ProductRepository>(db_->db());
    pool_ = std::make_unique<rpc::HandlerPool>(8);
    service_ = std::make_unique<ProductDbService>(*repo_, *pool_);
    auto server = rpc::GrpcServer::Start("127.0.0.1:0", {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    client_ = std::make_unique<rpc::ProductDbClient>(
        rpc::ClientOptions{.addresses = {"127.0.0.1:" + std::to_string(server_->port())}});
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
    // Joins the handler threads before the service goes. Shutdown already
    // waited for every call, but through gRPC, which ThreadSanitizer cannot
    // see (scripts/tsan.supp); the join it can.
    pool_.reset();
  }

  // Registers the item; an empty Item (and a test failure) when refused.
  v1::Item Register(const NewItem& item) {
    auto registered = client_->RegisterItem(item.ToRequest());
    EXPECT_TRUE(registered.ok()) << registered.status().ToString();
    return registered.ok() ? *registered : v1::Item();
  }

  StatusOr<v1::Item> Get(const std::string& id) {
    v1::GetItemRequest req;
    req.set_item_id(id);
    return client_->GetItem(req);
  }

  // Units left, or -1 when the item cannot be read.
  int64_t Quantity(const std::string& id) {
    auto item = Get(id);
    return item.ok() ? item->quantity() : -1;
  }

  StatusOr<v1::Item> Withdraw(int64_t seller_id, const std::string& id,
                              std::optional<int64_t> quantity) {
    v1::WithdrawUnitsRequest req;
    req.set_seller_id(seller_id);
    req.set_item_id(id);
    if (quantity) req.set_quantity(*quantity);
    return client_->WithdrawUnits(req);
  }

  StatusOr<v1::TakeStockResponse> Take(const std::string& purchase_id,
                                       const std::vector<std::pair<std::string, int64_t>>& lines) {
    v1::TakeStockRequest req;
    req.set_purchase_id(purchase_id);
    for (const auto& [id, quantity] : lines) {
      v1::StockLine* line = req.add_lines();
      line->set_item_id(id);
      line->set_quantity(quantity);
    }
    return client_->TakeStock(req);
  }

  StatusOr<v1::Empty> Vote(int64_t buyer_id, const std::string& id, v1::Vote vote) {
    v1::VoteRequest req;
    req.set_buyer_id(buyer_id);
    req.set_item_id(id);
    req.set_vote(vote);
    return client_->Vote(req);
  }

  StatusOr<v1::Feedback> Rating(int64_t seller_id) {
    v1::GetSellerRatingRequest req;
    req.set_seller_id(seller_id);
    return client_->GetSellerRating(req);
  }

  std::unique_ptr<storage::testing::TestDatabase> db_;
  std::unique_ptr<storage::ProductRepository> repo_;
  std::unique_ptr<rpc::HandlerPool> pool_;
  std::unique_ptr<ProductDbService> service_;
  std::unique_ptr<rpc::GrpcServer> server_;
  std::unique_ptr<rpc::ProductDbClient> client_;
};

}  // namespace mp::product_db::testing
