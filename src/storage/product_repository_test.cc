// ProductRepository against both engines: items, stock, search and votes.
#include "storage/product_repository.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "common/types.h"
#include "storage/product_repository_test_fixture.h"

namespace mp::storage::testing {
namespace {

TEST_P(ProductRepositoryTest, RegistersNewItemWithCategoryId) {
  Item item = Register({.name = "Boot",
                        .category = 42,
                        .keywords = {"boot", "winter"},
                        .condition = Condition::kUsed,
                        .price = 12345,
                        .quantity = 7});
  EXPECT_EQ(item.id.category, 42);
  EXPECT_GT(Id(item).number, 0);
  auto read = GetItem(Id(item));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  const Item want{.id = item.id,
                  .name = "Boot",
                  .category = 42,
                  .keywords = {"boot", "winter"},
                  .condition = Condition::kUsed,
                  .price_cents = 12345,
                  .quantity = 7,
                  .feedback = {},
                  .seller_id = SellerId(1)};
  EXPECT_EQ(*read, want);
  EXPECT_EQ(item, want);

  Item bare = Register({.name = "Plain", .keywords = {}});
  EXPECT_NE(bare.id, item.id);
  EXPECT_EQ(GetItem(Id(bare))->keywords.size(), 0);
}

TEST_P(ProductRepositoryTest, MergesEqualRegistrations) {
  Item first = Register({.quantity = 5});
  Item second = Register({.quantity = 3});
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(second.quantity, 8);
  EXPECT_EQ(Quantity(first), 8);
  EXPECT_EQ(SellerItems(1)->size(), 1u);
}

TEST_P(ProductRepositoryTest, MergesKeywordSetsCaseInsensitively) {
  Item first = Register({.keywords = Normalized({"Shoe", "RED"})});
  Item second = Register({.keywords = Normalized({"red", "sHoE"})});
  EXPECT_EQ(second.id, first.id);
  EXPECT_EQ(Quantity(first), 10);
}

TEST_P(ProductRepositoryTest, DifferingRegistrationCreatesNewItem) {
  struct Case {
    const char* differs;
    ItemSpec spec;
  };
  const Case cases[] = {
      {"price", {.price = 2000}},        {"keywords", {.keywords = {"red"}}},
      {"no keywords", {.keywords = {}}}, {"condition", {.condition = Condition::kUsed}},
      {"name", {.name = "Red shoes"}},   {"name case", {.name = "red shoe"}},
      {"category", {.category = 4}},     {"seller", {.seller = 2}},
  };
  Item original = Register({});
  for (const Case& c : cases) {
    Item item = Register(c.spec);
    EXPECT_NE(item.id, original.id) << c.differs;
    EXPECT_EQ(item.quantity, c.spec.quantity) << c.differs;
  }
  EXPECT_EQ(Quantity(original), 5);
}

TEST_P(ProductRepositoryTest, RefusesQuantityPastMaximum) {
  Item item = Register({.quantity = kMaxQuantity - 1});
  EXPECT_EQ(Register({.quantity = 1}).quantity, kMaxQuantity);
  auto over = repo_->RegisterItem(ToNewItem({.quantity = 1}));
  EXPECT_EQ(over.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(over.status().message().find("quantity"), std::string::npos);
  EXPECT_EQ(Quantity(item), kMaxQuantity);
  EXPECT_EQ(SellerItems(1)->size(), 1u);
}

TEST_P(ProductRepositoryTest, GetItemOfUnknownIdIsNotFound) {
  Item item = Register({.category = 3});
  ItemId id = Id(item);
  for (ItemId unknown : {ItemId{3, id.number + 1000}, ItemId{4, id.number}, ItemId{0, 0}}) {
    EXPECT_EQ(GetItem(unknown).status().code(), StatusCode::kNotFound) << unknown.ToString();
  }
}

TEST_P(ProductRepositoryTest, GetItemsKeepsOrderAndOmitsUnknown) {
  Item a = Register({.name = "A"});
  Item b = Register({.name = "B"});
  Item c = Register({.name = "C", .category = 9});
  auto items = repo_->GetItems({Id(c), ItemId{3, 999999}, Id(a), ItemId{7, Id(b).number}, Id(b)});
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  std::vector<ItemId> ids;
  for (const auto& item : *items) ids.push_back(item.id);
  EXPECT_EQ(ids, (std::vector<ItemId>{c.id, a.id, b.id}));
  EXPECT_EQ((*items)[1].name, "A");
  EXPECT_TRUE(repo_->GetItems({})->empty());
}

TEST_P(ProductRepositoryTest, ListsOnlyTheSellersItems) {
  Item a = Register({.name = "A"});
  Register({.seller = 2, .name = "Other"});
  Item b = Register({.name = "B", .category = 8});
  ASSERT_TRUE(repo_->WithdrawUnits(SellerId(1), Id(b), std::nullopt).ok());
  auto items = SellerItems(1);
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].id, a.id);
  EXPECT_EQ((*items)[1].id, b.id);
  EXPECT_EQ((*items)[1].quantity, 0) << "sold out items stay listed";
  EXPECT_TRUE(SellerItems(3)->empty());
}

// Several sellers at once: each gets the page it would get alone.
TEST_P(ProductRepositoryTest, ListsTheItemsOfSeveralSellersAtOnce) {
  Item a = Register({.seller = 1, .name = "A"});
  Item other = Register({.seller = 2, .name = "Other"});
  Item b = Register({.seller = 1, .name = "B", .category = 8});
  ASSERT_TRUE(repo_->WithdrawUnits(SellerId(1), Id(b), std::nullopt).ok());
  auto lists = repo_->ListItemsOfSellers({SellerId(1), SellerId(2), SellerId(3)});
  ASSERT_TRUE(lists.ok()) << lists.status().ToString();
  for (int64_t seller : {1, 2}) {
    auto one = SellerItems(seller);
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    EXPECT_EQ((*lists)[SellerId(seller)], *one) << "seller " << seller;
  }
  EXPECT_EQ((*lists)[SellerId(1)].size(), 2u);
  EXPECT_EQ((*lists)[SellerId(2)].at(0).id, other.id);
  EXPECT_FALSE(lists->contains(SellerId(3))) << "a seller without items";
  EXPECT_EQ(a.id, (*lists)[SellerId(1)].at(0).id);
  EXPECT_TRUE(repo_->ListItemsOfSellers({})->empty());
}

// DisplayItemsForSale pages: by id (not by name or category), `limit` from
// `offset`, and empty past the end; the batched form gives the same pages.
TEST_P(ProductRepositoryTest, PagesTheSellersItemsById) {
  std::vector<ItemId> ids1, ids2;
  const char* const names[] = {"Zeta", "Yak", "Xenon", "Wolf", "Vase", "Urn", "Tent"};
  for (int i = 0; i < 7; ++i) {
    // Names and categories out of id order, and another seller in between.
    ids1.push_back(Register({.seller = 1, .name = names[i], .category = 9 - i}).id);
    if (i % 2 == 0) ids2.push_back(Register({.seller = 2, .name = names[6 - i]}).id);
  }
  auto page = [&](int64_t seller, int limit, int offset) {
    std::vector<ItemId> ids;
    auto items = SellerItems(seller, limit, offset);
    EXPECT_TRUE(items.ok()) << items.status().ToString();
    if (items.ok()) {
      for (const Item& item : *items) ids.push_back(item.id);
    }
    return ids;
  };
  auto slice = [](const std::vector<ItemId>& all, size_t from, size_t n) {
    from = std::min(from, all.size());
    return std::vector<ItemId>(all.begin() + from, all.begin() + std::min(all.size(), from + n));
  };
  EXPECT_EQ(page(1, 50, 0), ids1);
  EXPECT_EQ(page(1, 3, 0), slice(ids1, 0, 3));
  EXPECT_EQ(page(1, 3, 3), slice(ids1, 3, 3));
  EXPECT_EQ(page(1, 3, 6), slice(ids1, 6, 3)) << "a short last page";
  EXPECT_TRUE(page(1, 3, 7).empty()) << "past the end";
  EXPECT_TRUE(page(1, 3, 1000).empty());
  EXPECT_EQ(page(2, 2, 1), slice(ids2, 1, 2));

  for (auto [limit, offset] : {std::pair{3, 0}, {2, 3}, {3, 6}, {5, 4}, {1, 7}}) {
    auto lists = repo_->ListItemsOfSellers({SellerId(1), SellerId(2), SellerId(3)}, limit, offset);
    ASSERT_TRUE(lists.ok()) << lists.status().ToString();
    for (int64_t seller : {1, 2, 3}) {
      std::vector<ItemId> batched;
      if (auto it = lists->find(SellerId(seller)); it != lists->end()) {
        for (const Item& item : it->second) batched.push_back(item.id);
      }
      EXPECT_EQ(batched, page(seller, limit, offset))
          << "seller " << seller << " limit " << limit << " offset " << offset;
    }
  }
}

TEST_P(ProductRepositoryTest, ChangesPriceOfOwnItemOnly) {
  Item item = Register({.price = 1000});
  auto changed = repo_->ChangePrice(SellerId(1), Id(item), 1250);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(changed->price_cents, 1250);
  EXPECT_EQ(GetItem(Id(item))->price_cents, 1250);
  struct Case {
    int64_t seller;
    ItemId id;
    StatusCode code;
  };
  for (const Case& c : {Case{2, Id(item), StatusCode::kPermissionDenied},
                        Case{1, ItemId{3, Id(item).number + 100}, StatusCode::kNotFound},
                        Case{1, ItemId{4, Id(item).number}, StatusCode::kNotFound}}) {
    EXPECT_EQ(repo_->ChangePrice(SellerId(c.seller), c.id, 1).status().code(), c.code)
        << c.seller << " " << c.id.ToString();
  }
  EXPECT_EQ(GetItem(Id(item))->price_cents, 1250);
}

TEST_P(ProductRepositoryTest, WithdrawsUnits) {
  struct Case {
    std::optional<int64_t> withdraw;
    int64_t left;
    bool ok;
  };
  const Case cases[] = {{3, 7, true}, {10, 0, true}, {std::nullopt, 0, true}, {11, 10, false}};
  int n = 0;
  for (const Case& c : cases) {
    Item item = Register({.name = Key("Item", n++), .quantity = 10});
    auto result = repo_->WithdrawUnits(SellerId(1), Id(item), c.withdraw);
    if (c.ok) {
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      EXPECT_EQ(result->quantity, c.left) << n;
    } else {
      EXPECT_EQ(result.status().code(), StatusCode::kAborted) << n;
      EXPECT_EQ(result.status().reason(), "insufficient_quantity") << n;
    }
    EXPECT_EQ(Quantity(item), c.left) << "case " << n;
  }
}

TEST_P(ProductRepositoryTest, WithdrawIsRefusedForOtherSellerOrUnknownItem) {
  Item item = Register({.quantity = 10});
  struct Case {
    int64_t seller;
    ItemId id;
    std::optional<int64_t> quantity;
    StatusCode code;
  };
  for (const Case& c : {Case{2, Id(item), 1, StatusCode::kPermissionDenied},
                        Case{2, Id(item), 99, StatusCode::kPermissionDenied},
                        Case{2, Id(item), std::nullopt, StatusCode::kPermissionDenied},
                        Case{1, ItemId{3, Id(item).number + 9}, 1, StatusCode::kNotFound}}) {
    EXPECT_EQ(repo_->WithdrawUnits(SellerId(c.seller), c.id, c.quantity).status().code(), c.code);
  }
  EXPECT_EQ(Quantity(item), 10);
}

TEST_P(ProductRepositoryTest, SoldOutItemLeavesSearchButNotSellerList) {
  Item item = Register({.name = "Gone"});
  Register({.name = "Stays"});
  ASSERT_TRUE(repo_->WithdrawUnits(SellerId(1), Id(item), 5).ok());
  EXPECT_EQ(Search(3, {}), (Hits{{"Stays", 0}}));
  EXPECT_EQ(Search(3, {"red"}), (Hits{{"Stays", 1}}));
  EXPECT_EQ(SellerItems(1)->size(), 2u);
  EXPECT_EQ(GetItem(Id(item))->quantity, 0);
}

TEST_P(ProductRepositoryTest, SearchMatchesWholeWordsCaseInsensitively) {
  Register({.name = "redshoe", .keywords = {"red", "shoe"}});
  Register({.name = "redder", .keywords = {"redder"}});
  Register({.name = "shoes", .keywords = {"shoes"}});
  struct Case {
    std::vector<std::string> query;
    Hits hits;
  };
  const Case cases[] = {
      {{"RED"}, {{"redshoe", 1}}},
      {{"Shoe", "red"}, {{"redshoe", 2}}},
      {{"re"}, {}},
      {{"shoes"}, {{"shoes", 1}}},
      {{"SHOES", "Redder", "red"}, {{"redshoe", 1}, {"redder", 1}, {"shoes", 1}}},
      {{"blue"}, {}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Search(3, c.query), c.hits) << ::testing::PrintToString(c.query);
  }
}

TEST_P(ProductRepositoryTest, SearchRanksByScoreThenRatingThenId) {
  const int64_t kCat = 5;
  Item a = Register({.name = "A", .category = kCat});  // red shoe
  Item b = Register({.name = "B", .category = kCat, .keywords = {"red"}});
  Register({.name = "C", .category = kCat, .keywords = {"red"}});
  Item d = Register({.name = "D", .category = kCat, .keywords = {"red"}});
  Item e = Register({.name = "E", .category = kCat, .keywords = {"shoe"}});
  Register({.name = "F", .category = kCat, .keywords = {"boot"}});
  Item g = Register({.name = "G", .category = kCat});
  Register({.name = "H", .category = kCat + 1});
  Item i = Register({.name = "I", .category = kCat});
  VoteOk(1, b, true);
  VoteOk(2, b, true);
  VoteOk(1, d, false);
  VoteOk(1, e, true);
  VoteOk(2, e, false);
  VoteOk(1, i, true);
  ASSERT_TRUE(repo_->WithdrawUnits(SellerId(1), Id(g), std::nullopt).ok());
  struct Case {
    std::vector<std::string> query;
    Hits hits;
  };
  const Case cases[] = {
      {{"red", "shoe"}, {{"I", 2}, {"A", 2}, {"B", 1}, {"C", 1}, {"E", 1}, {"D", 1}}},
      {{"shoe"}, {{"I", 1}, {"A", 1}, {"E", 1}}},
      {{}, {{"B", 0}, {"I", 0}, {"A", 0}, {"C", 0}, {"E", 0}, {"F", 0}, {"D", 0}}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Search(kCat, c.query), c.hits) << ::testing::PrintToString(c.query);
  }
  EXPECT_EQ(Search(kCat + 1, {"red"}), (Hits{{"H", 1}}));
  EXPECT_EQ(Search(kCat + 2, {}), Hits{});
}

TEST_P(ProductRepositoryTest, SearchPagesWithLimitAndOffset) {
  for (int i = 0; i < 7; ++i) Register({.name = Key("P", i), .category = 8});
  struct Case {
    std::vector<std::string> query;
    int limit, offset;
    std::vector<int> want;  // P<n>
  };
  const Case cases[] = {{{}, 3, 0, {0, 1, 2}},
                        {{}, 3, 3, {3, 4, 5}},
                        {{}, 3, 6, {6}},
                        {{}, 3, 7, {}},
                        {{}, 500, 0, {0, 1, 2, 3, 4, 5, 6}},
                        {{"shoe"}, 2, 1, {1, 2}},
                        {{"shoe"}, 1, 6, {6}},
                        {{"shoe", "red"}, 2, 5, {5, 6}}};
  for (const Case& c : cases) {
    Hits want;
    for (int i : c.want) want.emplace_back(Key("P", i), c.query.size());
    EXPECT_EQ(Search(8, c.query, c.limit, c.offset), want) << c.limit << "/" << c.offset;
  }
}

// Search ranks by copies of each item's votes and stock (item_keywords):
// every change to them must show in the next search.
TEST_P(ProductRepositoryTest, SearchFollowsEveryStockAndVoteChange) {
  const int64_t kCat = 9;
  Item item = Register({.name = "Only", .category = kCat, .quantity = 2});
  Item other = Register({.name = "Other", .category = kCat, .keywords = {"red"}});
  ASSERT_TRUE(repo_->TakeStock("p1", {{Id(item), 2}}).ok());
  EXPECT_EQ(Search(kCat, {"shoe"}), Hits{});
  EXPECT_EQ(Search(kCat, {"red", "shoe"}), (Hits{{"Other", 1}}));
  ASSERT_TRUE(repo_->ReleaseStock("p1").ok());
  EXPECT_EQ(Search(kCat, {"red"}), (Hits{{"Only", 1}, {"Other", 1}}));
  VoteOk(1, other, true);
  EXPECT_EQ(Search(kCat, {"red"}), (Hits{{"Other", 1}, {"Only", 1}}));
  VoteOk(2, other, false);
  VoteOk(3, other, false);
  EXPECT_EQ(Search(kCat, {"red"}), (Hits{{"Only", 1}, {"Other", 1}}));
  ASSERT_TRUE(repo_->WithdrawUnits(SellerId(1), Id(item), std::nullopt).ok());
  EXPECT_EQ(Search(kCat, {"red"}), (Hits{{"Other", 1}}));
  // Registering the same item again adds units: it is for sale again.
  Register({.name = "Only", .category = kCat, .quantity = 3});
  EXPECT_EQ(Search(kCat, {"red", "shoe"}), (Hits{{"Only", 2}, {"Other", 1}}));
}

TEST_P(ProductRepositoryTest, VoteUpdatesItemAndSellerTogether) {
  Item x = Register({.seller = 1, .name = "X"});
  Item y = Register({.seller = 1, .name = "Y"});
  Item z = Register({.seller = 2, .name = "Z"});
  VoteOk(11, x, true);
  VoteOk(12, x, true);
  VoteOk(13, x, false);
  VoteOk(11, y, false);
  VoteOk(14, z, true);
  EXPECT_EQ(ItemVotes(x), Votes(2, 1));
  EXPECT_EQ(ItemVotes(y), Votes(0, 1));
  EXPECT_EQ(ItemVotes(z), Votes(1, 0));
  EXPECT_EQ(SellerVotes(1), Votes(2, 2));
  EXPECT_EQ(SellerVotes(2), Votes(1, 0));
}

TEST_P(ProductRepositoryTest, SecondVoteIsAlreadyRatedAndChangesNothing) {
  Item x = Register({});
  VoteOk(11, x, true);
  for (bool up : {true, false}) {
    Status s = repo_->Vote(BuyerId(11), Id(x), up);
    EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(s.reason(), "already_rated");
  }
  EXPECT_EQ(ItemVotes(x), Votes(1, 0));
  EXPECT_EQ(SellerVotes(1), Votes(1, 0));
  VoteOk(12, x, false);  // another buyer still may
  EXPECT_EQ(ItemVotes(x), Votes(1, 1));
  EXPECT_EQ(SellerVotes(1), Votes(1, 1));
}

TEST_P(ProductRepositoryTest, VoteOnUnknownItemIsNotFound) {
  Item x = Register({});
  for (ItemId unknown : {ItemId{3, Id(x).number + 7}, ItemId{4, Id(x).number}}) {
    EXPECT_EQ(repo_->Vote(BuyerId(11), unknown, true).code(), StatusCode::kNotFound)
        << unknown.ToString();
  }
  EXPECT_EQ(ItemVotes(x), Votes(0, 0));
  EXPECT_EQ(SellerVotes(1), Votes(0, 0));
  VoteOk(11, x, true);  // the failed votes were not recorded
}

TEST_P(ProductRepositoryTest, SellerWithoutVotesHasZeroRating) {
  Register({.seller = 5});
  EXPECT_EQ(SellerVotes(5), Votes(0, 0)) << "a seller with items";
  EXPECT_EQ(SellerVotes(6), Votes(0, 0)) << "an unknown seller";
}

TEST_P(ProductRepositoryTest, RatingsOfSeveralSellersAtOnce) {
  Item x = Register({.seller = 1, .name = "X"});
  Item z = Register({.seller = 2, .name = "Z"});
  Register({.seller = 3, .name = "Unrated"});
  VoteOk(11, x, true);
  VoteOk(12, x, false);
  VoteOk(11, z, true);
  auto ratings = repo_->GetSellerRatings({SellerId(1), SellerId(2), SellerId(3), SellerId(4)});
  ASSERT_TRUE(ratings.ok()) << ratings.status().ToString();
  EXPECT_EQ((*ratings)[SellerId(1)], (Feedback{1, 1}));
  EXPECT_EQ((*ratings)[SellerId(2)], (Feedback{1, 0}));
  EXPECT_EQ((*ratings)[SellerId(3)], (Feedback{0, 0}));
  EXPECT_FALSE(ratings->contains(SellerId(4))) << "an unknown seller";
  EXPECT_TRUE(repo_->GetSellerRatings({})->empty());
}

INSTANTIATE_TEST_SUITE_P(Engines, ProductRepositoryTest, kEngines, Name);

}  // namespace
}  // namespace mp::storage::testing
