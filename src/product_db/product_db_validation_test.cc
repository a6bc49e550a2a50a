// ProductDb over real gRPC against both engines: every malformed argument is
// refused with INVALID_ARGUMENT naming the field and changes nothing; many
// concurrent stock changes on one item never oversell.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/types.h"
#include "product_db/product_db_test_fixture.h"

namespace mp::product_db::testing {
namespace {

using storage::Engine;

class ProductDbValidationTest : public ProductDbServiceTest {
 protected:
  // What an argument error must leave as it was: both sellers' items (with
  // quantities, prices and feedback), their ratings and a search.
  std::string Snapshot() {
    std::string out;
    for (int64_t seller : {1, 2}) {
      v1::ListSellerItemsRequest list;
      list.set_seller_id(seller);
      auto items = client_->ListSellerItems(list);
      out += items.ok() ? items->ShortDebugString() : items.status().ToString();
      auto rating = Rating(seller);
      out += rating.ok() ? rating->ShortDebugString() : rating.status().ToString();
    }
    v1::SearchRequest search;
    search.set_category(3);
    auto found = client_->Search(search);
    out += found.ok() ? found->ShortDebugString() : found.status().ToString();
    return out;
  }
};

struct BadCall {
  std::string label;
  std::function<Status()> call;
  std::string field;  // must appear in the error message
};

TEST_P(ProductDbValidationTest, MalformedArgumentsNameTheFieldAndChangeNothing) {
  const std::string x = Register({}).id();
  const std::string y = Register({.seller_id = 2, .name = "Lamp"}).id();
  ASSERT_FALSE(x.empty());
  ASSERT_FALSE(y.empty());
  const std::string before = Snapshot();

  // A valid registration that would merge into x, changed by `edit`.
  auto reg = [&](std::function<void(NewItem&)> edit) {
    return [=, this] {
      NewItem item;
      edit(item);
      return client_->RegisterItem(item.ToRequest()).status();
    };
  };
  auto get = [&](std::string id) {
    return [=, this] {
      v1::GetItemRequest req;
      req.set_item_id(id);
      return client_->GetItem(req).status();
    };
  };
  auto get_many = [&](std::vector<std::string> ids) {
    return [=, this] {
      v1::GetItemsRequest req;
      for (const std::string& id : ids) req.add_item_ids(id);
      return client_->GetItems(req).status();
    };
  };
  auto list = [&](int64_t seller, int limit = 0, int offset = 0) {
    return [=, this] {
      v1::ListSellerItemsRequest req;
      req.set_seller_id(seller);
      req.set_limit(limit);
      req.set_offset(offset);
      return client_->ListSellerItems(req).status();
    };
  };
  auto price = [&](int64_t seller, std::string id, int64_t cents) {
    return [=, this] {
      v1::ChangePriceRequest req;
      req.set_seller_id(seller);
      req.set_item_id(id);
      req.set_price_cents(cents);
      return client_->ChangePrice(req).status();
    };
  };
  auto withdraw = [&](int64_t seller, std::string id, int64_t quantity) {
    return [=, this] { return Withdraw(seller, id, quantity).status(); };
  };
  auto search = [&](int64_t category, std::vector<std::string> keywords, int limit, int offset) {
    return [=, this] {
      v1::SearchRequest req;
      req.set_category(category);
      for (const std::string& word : keywords) req.add_keywords(word);
      req.set_limit(limit);
      req.set_offset(offset);
      return client_->Search(req).status();
    };
  };
  auto take = [&](std::string purchase, std::vector<std::pair<std::string, int64_t>> lines) {
    return [=, this] { return Take(purchase, lines).status(); };
  };
  auto release = [&](bool commit, std::string purchase) {
    return [=, this] {
      v1::StockRef ref;
      ref.set_purchase_id(purchase);
      return (commit ? client_->CommitStock(ref) : client_->ReleaseStock(ref)).status();
    };
  };
  auto vote = [&](int64_t buyer, std::string id, v1::Vote v) {
    return [=, this] { return Vote(buyer, id, v).status(); };
  };
  auto rating = [&](int64_t seller) { return [=, this] { return Rating(seller).status(); }; };
  const std::vector<std::string> six = {"a", "b", "c", "d", "e", "f"};
  std::vector<std::string> many_ids(1001, x);
  std::vector<std::pair<std::string, int64_t>> many_lines;
  for (int i = 1; i <= 1001; ++i) {
    many_lines.emplace_back("3-" + std::to_string(1000 + i), 1);
  }
  const int64_t kTooMany = kMaxQuantity + 1;

  const std::vector<BadCall> table = {
      {"register/seller 0", reg([](auto& i) { i.seller_id = 0; }), "seller_id"},
      {"register/seller -3", reg([](auto& i) { i.seller_id = -3; }), "seller_id"},
      {"register/empty name", reg([](auto& i) { i.name = ""; }), "name"},
      {"register/blank name", reg([](auto& i) { i.name = "  "; }), "name"},
      {"register/long name", reg([](auto& i) { i.name = std::string(kMaxNameChars + 1, 'n'); }),
       "name"},
      {"register/control name", reg([](auto& i) { i.name = "a\x7f"; }), "name"},
      {"register/category -1", reg([](auto& i) { i.category = -1; }), "category"},
      {"register/category 2^31", reg([](auto& i) { i.category = kMaxCategory + 1; }), "category"},
      {"register/6 keywords", reg([&](auto& i) { i.keywords = six; }), "keywords"},
      {"register/duplicate keywords", reg([](auto& i) {
         i.keywords = {"red", "RED"};
       }),
       "keywords"},
      {"register/9-char keyword", reg([](auto& i) { i.keywords = {"ninechars"}; }), "keywords"},
      {"register/empty keyword", reg([](auto& i) { i.keywords = {""}; }), "keywords"},
      {"register/keyword with space", reg([](auto& i) { i.keywords = {"a b"}; }), "keywords"},
      {"register/condition", reg([](auto& i) { i.condition = v1::CONDITION_UNSPECIFIED; }),
       "condition"},
      {"register/price 0", reg([](auto& i) { i.price_cents = 0; }), "price"},
      {"register/price -1", reg([](auto& i) { i.price_cents = -1; }), "price"},
      {"register/price too high", reg([](auto& i) { i.price_cents = kMaxPriceCents + 1; }),
       "price"},
      {"register/quantity 0", reg([](auto& i) { i.quantity = 0; }), "quantity"},
      {"register/quantity -1", reg([](auto& i) { i.quantity = -1; }), "quantity"},
      {"register/quantity too many", reg([&](auto& i) { i.quantity = kTooMany; }), "quantity"},
      {"get/abc", get("abc"), "item_id"},
      {"get/3-", get("3-"), "item_id"},
      {"get/03-1", get("03-1"), "item_id"},
      {"get/empty", get(""), "item_id"},
      {"get/category 2^31", get("2147483648-1"), "item_id"},
      {"get/negative", get("-3-1"), "item_id"},
      {"get many/one bad", get_many({x, "abc"}), "item_ids"},
      {"get many/1001 ids", get_many(many_ids), "item_ids"},
      {"list/seller 0", list(0), "seller_id"},
      {"list/limit 501", list(1, 501), "limit"},
      {"list/limit -1", list(1, -1), "limit"},
      {"list/offset -1", list(1, 0, -1), "offset"},
      {"price/seller 0", price(0, x, 100), "seller_id"},
      {"price/item", price(1, "x", 100), "item_id"},
      {"price/0", price(1, x, 0), "price"},
      {"price/negative", price(1, x, -100), "price"},
      {"price/too high", price(1, x, kMaxPriceCents + 1), "price"},
      {"withdraw/seller", withdraw(-1, x, 1), "seller_id"},
      {"withdraw/item", withdraw(1, "3-", 1), "item_id"},
      {"withdraw/0", withdraw(1, x, 0), "quantity"},
      {"withdraw/negative", withdraw(1, x, -2), "quantity"},
      {"withdraw/too many", withdraw(1, x, kTooMany), "quantity"},
      {"search/category -1", search(-1, {}, 0, 0), "category"},
      {"search/category 2^31", search(kMaxCategory + 1, {}, 0, 0), "category"},
      {"search/6 keywords", search(3, six, 0, 0), "keywords"},
      {"search/duplicates", search(3, {"Red", "rEd"}, 0, 0), "keywords"},
      {"search/9-char", search(3, {"ninechars"}, 0, 0), "keywords"},
      {"search/limit 501", search(3, {}, 501, 0), "limit"},
      {"search/limit -1", search(3, {}, -1, 0), "limit"},
      {"search/offset -1", search(3, {}, 0, -1), "offset"},
      {"take/empty id", take("", {{x, 1}}), "purchase_id"},
      {"take/bad id", take("a b", {{x, 1}}), "purchase_id"},
      {"take/long id", take(std::string(129, 'p'), {{x, 1}}), "purchase_id"},
      {"take/no lines", take("p-1", {}), "lines"},
      {"take/bad item", take("p-1", {{x, 1}, {"abc", 1}}), "item_id"},
      {"take/quantity 0", take("p-1", {{x, 1}, {y, 0}}), "quantity"},
      {"take/negative", take("p-1", {{x, -1}}), "quantity"},
      {"take/too many", take("p-1", {{x, kTooMany}}), "quantity"},
      {"take/duplicate lines", take("p-1", {{x, 1}, {y, 1}, {x, 1}}), "lines"},
      {"take/1001 lines", take("p-1", many_lines), "lines"},
      {"release/empty id", release(false, ""), "purchase_id"},
      {"release/bad id", release(false, "p/1"), "purchase_id"},
      {"commit/bad id", release(true, "!!"), "purchase_id"},
      {"vote/buyer 0", vote(0, x, v1::VOTE_UP), "buyer_id"},
      {"vote/item", vote(5, "abc", v1::VOTE_UP), "item_id"},
      {"vote/unspecified", vote(5, x, v1::VOTE_UNSPECIFIED), "vote"},
      {"rating/seller 0", rating(0), "seller_id"},
      {"rating/seller -1", rating(-1), "seller_id"},
  };
  for (const BadCall& row : table) {
    Status status = row.call();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument)
        << row.label << ": " << status.ToString();
    EXPECT_EQ(status.reason(), "invalid_argument") << row.label;
    EXPECT_NE(status.message().find(row.field), std::string::npos)
        << row.label << ": '" << status.message() << "' should name " << row.field;
  }
  // Bytes that are not UTF-8 cannot travel in a proto3 string: protobuf
  // refuses to parse the request before the service sees it.
  EXPECT_FALSE(reg([](auto& i) { i.name = "\xff\xfe"; })().ok());
  EXPECT_EQ(Snapshot(), before);
  // The refused TakeStock calls took nothing under "p-1".
  ASSERT_TRUE(take("p-1", {{x, 10}})().ok());
  EXPECT_EQ(Quantity(x), 0);
}

TEST_P(ProductDbValidationTest, ConcurrentStockChangesNeverOversell) {
  constexpr int64_t kInitialX = 600, kInitialY = 300;
  const std::string x = Register({.quantity = kInitialX}).id();
  const std::string y = Register({.name = "Lamp", .quantity = kInitialY}).id();
  ASSERT_FALSE(x.empty());
  ASSERT_FALSE(y.empty());
  constexpr int kThreads = 40;
  constexpr int kRounds = 10;
  std::atomic<int64_t> gone_x{0}, gone_y{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        int64_t a = 1 + (t + i) % 5, b = 1 + (t * i) % 3;
        Status status;
        if (i % 2 == 0) {
          // A purchase of both items: all or nothing.
          std::string purchase = "t" + std::to_string(t) + "-" + std::to_string(i);
          auto taken = Take(purchase, {{x, a}, {y, b}});
          status = taken.status();
          if (taken.ok()) {
            v1::StockRef ref;
            ref.set_purchase_id(purchase);
            bool give_back = i % 4 == 0;
            auto done = give_back ? client_->ReleaseStock(ref) : client_->CommitStock(ref);
            EXPECT_TRUE(done.ok()) << done.status().ToString();
            if (!give_back) {
              gone_x += a;
              gone_y += b;
            }
          }
        } else {
          auto left = Withdraw(1, x, a + b);
          status = left.status();
          if (left.ok()) {
            EXPECT_GE(left->quantity(), 0);
            gone_x += a + b;
          }
        }
        if (!status.ok()) {
          EXPECT_EQ(status.reason(), "insufficient_quantity") << status.ToString();
          ++refused;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_GT(refused.load(), 0);  // more was asked for than there was
  int64_t left_x = Quantity(x), left_y = Quantity(y);
  EXPECT_GE(left_x, 0);
  EXPECT_GE(left_y, 0);
  EXPECT_EQ(kInitialX - left_x, gone_x.load());
  EXPECT_EQ(kInitialY - left_y, gone_y.load());
}

INSTANTIATE_TEST_SUITE_P(Engines, ProductDbValidationTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return storage::testing::EngineName(info.param);
                         });

}  // namespace
}  // namespace mp::product_db::testing
