// ProductDb over real gRPC on loopback, through rpc::ProductDbClient, against
// a SQLite file and a PostgreSQL schema: the happy path of every RPC and the
// errors (with their reasons) a frontend relies on.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "common/types.h"
#include "product_db/product_db_test_fixture.h"

namespace mp::product_db::testing {
namespace {

using storage::Engine;

class ProductDbFlowTest : public ProductDbServiceTest {
 protected:
  StatusOr<v1::SearchResponse> Search(int64_t category, std::vector<std::string> keywords,
                                      int limit = 0, int offset = 0) {
    v1::SearchRequest req;
    req.set_category(category);
    for (const std::string& word : keywords) req.add_keywords(word);
    req.set_limit(limit);
    req.set_offset(offset);
    return client_->Search(req);
  }
};

TEST_P(ProductDbFlowTest, RegistersItemsAndMergesEqualOnes) {
  v1::Item a = Register({.keywords = {"Shoe", "RED"}});
  auto id = ItemId::Parse(a.id());
  ASSERT_TRUE(id.ok()) << a.id();
  EXPECT_EQ(id->category, 3);
  EXPECT_EQ(a.name(), "Red shoe");
  EXPECT_EQ(a.category(), 3);
  EXPECT_EQ(std::vector<std::string>(a.keywords().begin(), a.keywords().end()),
            (std::vector<std::string>{"red", "shoe"}));
  EXPECT_EQ(a.condition(), v1::CONDITION_NEW);
  EXPECT_EQ(a.price_cents(), 1999);
  EXPECT_EQ(a.quantity(), 10);
  EXPECT_EQ(a.feedback().up(), 0);
  EXPECT_EQ(a.feedback().down(), 0);
  EXPECT_EQ(a.seller_id(), 1);
  auto read = Get(a.id());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->SerializeAsString(), a.SerializeAsString());

  // Equal in name, category, keyword set, condition and price: merged.
  v1::Item merged = Register({.keywords = {"red", "SHOE"}, .quantity = 5});
  EXPECT_EQ(merged.id(), a.id());
  EXPECT_EQ(merged.quantity(), 15);
  // Any difference makes a new item.
  std::vector<std::string> ids = {a.id()};
  for (const NewItem& other :
       {NewItem{.seller_id = 2}, NewItem{.name = "Red shoes"}, NewItem{.category = 4},
        NewItem{.keywords = {"red"}}, NewItem{.condition = v1::CONDITION_USED},
        NewItem{.price_cents = 1998}}) {
    v1::Item item = Register(other);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), item.id()), 0) << item.id();
    ids.push_back(item.id());
  }
  EXPECT_TRUE(ids[3].starts_with("4-")) << ids[3];
  // A merge may not pass the quantity limit; nothing changes.
  EXPECT_TRUE(HasError(client_->RegisterItem(NewItem{.quantity = kMaxQuantity}.ToRequest()),
                       StatusCode::kInvalidArgument));
  EXPECT_EQ(Quantity(a.id()), 15);

  EXPECT_TRUE(HasError(Get(kUnknownId), StatusCode::kNotFound, "not_found"));
  // The right number under the wrong category is no item either.
  std::string wrong_category = "7-" + std::to_string(id->number);
  EXPECT_TRUE(HasError(Get(wrong_category), StatusCode::kNotFound));

  v1::GetItemsRequest batch;
  for (const std::string& each :
       {ids[2], std::string(kUnknownId), a.id(), wrong_category, ids[1]}) {
    batch.add_item_ids(each);
  }
  auto items = client_->GetItems(batch);
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  EXPECT_EQ(Ids(items->items()), ids[2] + " " + a.id() + " " + ids[1]);
  items = client_->GetItems(v1::GetItemsRequest());
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->items_size(), 0);

  v1::ListSellerItemsRequest list;
  list.set_seller_id(2);
  items = client_->ListSellerItems(list);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(Ids(items->items()), ids[1]);
  list.set_seller_id(1);
  items = client_->ListSellerItems(list);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->items_size(), 6);
  EXPECT_EQ(items->items(0).id(), a.id());
  list.set_seller_id(77);
  items = client_->ListSellerItems(list);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->items_size(), 0);
}

TEST_P(ProductDbFlowTest, OnlyTheOwnerChangesPriceOrWithdrawsUnits) {
  v1::Item a = Register({});
  v1::ChangePriceRequest price;
  price.set_seller_id(1);
  price.set_item_id(a.id());
  price.set_price_cents(2500);
  auto changed = client_->ChangePrice(price);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(changed->price_cents(), 2500);
  price.set_seller_id(2);
  price.set_price_cents(1);
  EXPECT_TRUE(
      HasError(client_->ChangePrice(price), StatusCode::kPermissionDenied, "permission_denied"));
  price.set_seller_id(1);
  price.set_item_id(kUnknownId);
  EXPECT_TRUE(HasError(client_->ChangePrice(price), StatusCode::kNotFound));
  EXPECT_EQ(Get(a.id())->price_cents(), 2500);

  auto left = Withdraw(1, a.id(), 3);
  ASSERT_TRUE(left.ok()) << left.status().ToString();
  EXPECT_EQ(left->quantity(), 7);
  EXPECT_TRUE(HasError(Withdraw(1, a.id(), 8), StatusCode::kAborted, "insufficient_quantity"));
  EXPECT_TRUE(HasError(Withdraw(2, a.id(), 1), StatusCode::kPermissionDenied, "permission_denied"));
  EXPECT_TRUE(HasError(Withdraw(1, kUnknownId, 1), StatusCode::kNotFound));
  EXPECT_EQ(Quantity(a.id()), 7);

  left = Withdraw(1, a.id(), std::nullopt);  // all units
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->quantity(), 0);
  EXPECT_TRUE(HasError(Withdraw(1, a.id(), 1), StatusCode::kAborted, "insufficient_quantity"));
  // At 0 units the item stays in the seller's list but leaves search.
  v1::ListSellerItemsRequest list;
  list.set_seller_id(1);
  auto items = client_->ListSellerItems(list);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(Ids(items->items()), a.id());
  auto found = Search(3, {});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->items_size(), 0);
  found = Search(3, {"red"});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->items_size(), 0);
}

TEST_P(ProductDbFlowTest, SearchRanksByScoreThenFeedbackThenId) {
  v1::Item a = Register({.name = "A", .category = 7, .keywords = {"red", "shoe"}});
  v1::Item b = Register({.name = "B", .category = 7, .keywords = {"red"}});
  v1::Item c = Register({.name = "C", .category = 7, .keywords = {"shoe", "blue"}});
  v1::Item d = Register({.name = "D", .category = 7, .keywords = {"red", "shoe"}});
  v1::Item e = Register({.name = "E", .category = 7, .keywords = {"green"}});
  v1::Item g = Register({.name = "G", .category = 7, .keywords = {"red"}});
  v1::Item h = Register({.name = "H", .category = 7, .keywords = {"red", "big"}});
  Register({.name = "F", .category = 8, .keywords = {"red", "shoe"}});
  ASSERT_TRUE(Withdraw(1, d.id(), std::nullopt).ok());  // sold out
  ASSERT_TRUE(Vote(100, c.id(), v1::VOTE_UP).ok());
  ASSERT_TRUE(Vote(100, h.id(), v1::VOTE_DOWN).ok());

  auto found = Search(7, {"RED", "Shoe"});
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  const std::string all =
      a.id() + "/2 " + c.id() + "/1 " + b.id() + "/1 " + g.id() + "/1 " + h.id() + "/1";
  EXPECT_EQ(Ranked(*found), all);
  EXPECT_EQ(found->items(1).item().feedback().up(), 1);

  // Pages of two.
  std::string paged;
  for (int offset = 0; offset <= 6; offset += 2) {
    found = Search(7, {"red", "shoe"}, 2, offset);
    ASSERT_TRUE(found.ok());
    EXPECT_LE(found->items_size(), 2);
    if (found->items_size() == 0) continue;
    if (!paged.empty()) paged += ' ';
    paged += Ranked(*found);
  }
  EXPECT_EQ(paged, all);

  // Without keywords: every item of the category with units, score 0.
  found = Search(7, {});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(Ranked(*found), c.id() + "/0 " + a.id() + "/0 " + b.id() + "/0 " + e.id() + "/0 " +
                                g.id() + "/0 " + h.id() + "/0");
  found = Search(7, {"purple"});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->items_size(), 0);
  found = Search(9, {});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->items_size(), 0);
}

TEST_P(ProductDbFlowTest, TakesStockAllOrNothingThenReleasesOrCommits) {
  v1::Item x = Register({.quantity = 10});
  v1::Item y = Register({.seller_id = 2,
                         .name = "Lamp",
                         .category = 4,
                         .keywords = {},
                         .price_cents = 500,
                         .quantity = 3});

  auto taken = Take("p-1", {{y.id(), 1}, {x.id(), 4}});
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  ASSERT_EQ(taken->lines_size(), 2);
  EXPECT_EQ(taken->lines(0).item_id(), x.id());  // in item order
  EXPECT_EQ(taken->lines(0).quantity(), 4);
  EXPECT_EQ(taken->lines(0).price_cents(), 1999);
  EXPECT_EQ(taken->lines(0).seller_id(), 1);
  EXPECT_EQ(taken->lines(0).name(), "Red shoe");
  EXPECT_EQ(taken->lines(1).item_id(), y.id());
  EXPECT_EQ(taken->lines(1).quantity(), 1);
  EXPECT_EQ(taken->lines(1).price_cents(), 500);
  EXPECT_EQ(taken->lines(1).seller_id(), 2);
  EXPECT_EQ(taken->lines(1).name(), "Lamp");
  EXPECT_EQ(Quantity(x.id()), 6);
  EXPECT_EQ(Quantity(y.id()), 2);

  // A retry answers the first call and takes nothing more.
  auto again = Take("p-1", {{y.id(), 1}, {x.id(), 4}});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->SerializeAsString(), taken->SerializeAsString());
  EXPECT_EQ(Quantity(x.id()), 6);

  // One short line, or one unknown item, and nothing is taken.
  EXPECT_TRUE(HasError(Take("p-2", {{x.id(), 1}, {y.id(), 3}}), StatusCode::kAborted,
                       "insufficient_quantity"));
  EXPECT_TRUE(HasError(Take("p-3", {{x.id(), 1}, {kUnknownId, 1}}), StatusCode::kNotFound));
  EXPECT_EQ(Quantity(x.id()), 6);
  EXPECT_EQ(Quantity(y.id()), 2);

  v1::StockRef ref;
  ref.set_purchase_id("p-1");
  ASSERT_TRUE(client_->ReleaseStock(ref).ok());
  EXPECT_EQ(Quantity(x.id()), 10);
  EXPECT_EQ(Quantity(y.id()), 3);
  ASSERT_TRUE(client_->ReleaseStock(ref).ok());  // idempotent
  EXPECT_EQ(Quantity(x.id()), 10);
  // Released stock is not taken again under the same purchase id.
  EXPECT_TRUE(HasError(Take("p-1", {{x.id(), 4}}), StatusCode::kFailedPrecondition));
  EXPECT_EQ(Quantity(x.id()), 10);

  ASSERT_TRUE(Take("p-4", {{x.id(), 2}}).ok());
  ref.set_purchase_id("p-4");
  ASSERT_TRUE(client_->CommitStock(ref).ok());
  ASSERT_TRUE(client_->CommitStock(ref).ok());   // idempotent
  ASSERT_TRUE(client_->ReleaseStock(ref).ok());  // no effect once committed
  EXPECT_EQ(Quantity(x.id()), 8);
  ref.set_purchase_id("p-unknown");
  EXPECT_TRUE(client_->ReleaseStock(ref).ok());
  EXPECT_TRUE(client_->CommitStock(ref).ok());
  EXPECT_EQ(Quantity(x.id()), 8);
}

TEST_P(ProductDbFlowTest, VotesChangeItemAndSellerFeedbackOnce) {
  v1::Item a = Register({});
  v1::Item b = Register({.name = "Blue shoe"});
  v1::Item c = Register({.seller_id = 2});
  for (int64_t seller : {1, 2, 99}) {
    auto rating = Rating(seller);
    ASSERT_TRUE(rating.ok()) << rating.status().ToString();
    EXPECT_EQ(rating->up(), 0);
    EXPECT_EQ(rating->down(), 0);
  }
  ASSERT_TRUE(Vote(101, a.id(), v1::VOTE_UP).ok());
  ASSERT_TRUE(Vote(102, a.id(), v1::VOTE_DOWN).ok());
  ASSERT_TRUE(Vote(101, b.id(), v1::VOTE_UP).ok());
  EXPECT_TRUE(
      HasError(Vote(101, a.id(), v1::VOTE_DOWN), StatusCode::kAlreadyExists, "already_rated"));
  EXPECT_TRUE(
      HasError(Vote(101, a.id(), v1::VOTE_UP), StatusCode::kAlreadyExists, "already_rated"));
  EXPECT_TRUE(HasError(Vote(101, kUnknownId, v1::VOTE_UP), StatusCode::kNotFound));

  auto item = Get(a.id());
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->feedback().up(), 1);
  EXPECT_EQ(item->feedback().down(), 1);
  item = Get(b.id());
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->feedback().up(), 1);
  EXPECT_EQ(item->feedback().down(), 0);
  auto rating = Rating(1);
  ASSERT_TRUE(rating.ok());
  EXPECT_EQ(rating->up(), 2);
  EXPECT_EQ(rating->down(), 1);
  rating = Rating(2);
  ASSERT_TRUE(rating.ok());
  EXPECT_EQ(rating->up(), 0);
  EXPECT_EQ(rating->down(), 0);
  EXPECT_EQ(Get(c.id())->feedback().up(), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, ProductDbFlowTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return storage::testing::EngineName(info.param);
                         });

}  // namespace
}  // namespace mp::product_db::testing
