#include "client/views.h"

#include <gtest/gtest.h>

namespace json = boost::json;

namespace mp::client {
namespace {

TEST(ViewsTest, CartMarksLinesShortOfStockAndTotalsExactly) {
  json::value cart = json::parse(R"({"items":[
      {"item_id":"3-7","name":"Lamp","price":0.1,"quantity":3,"available":2},
      {"item_id":"3-8","name":"Desk","price":12.5,"quantity":1,"available":5}],
      "total":12.8})");
  EXPECT_EQ(RenderCart(cart),
            "ITEM  NAME  PRICE  QTY  AVAILABLE  SUBTOTAL\n"
            "----  ----  -----  ---  ---------  --------\n"
            "3-7   Lamp   0.10    3        2 !      0.30\n"
            "3-8   Desk  12.50    1        5       12.50\n"
            "total: 12.80\n"
            "! fewer units are for sale than this cart holds: lower the "
            "quantity (remove ITEM_ID "
            "--quantity N) before you purchase\n");
  EXPECT_EQ(RenderCart(json::parse(R"({"items":[],"total":0})")), "cart is empty\n");
}

TEST(ViewsTest, PurchaseShowsOnlyTheLastFourCardDigits) {
  json::value purchase = json::parse(R"({"purchase_id":"p-1","total":25,
      "items":[{"item_id":"3-7","name":"Lamp","price":12.5,"quantity":2}]})");
  std::string text = RenderPurchase(purchase, "1111");
  EXPECT_EQ(text.rfind("purchase p-1: 25.00 charged to the card ending in 1111\n", 0), 0u) << text;
  EXPECT_NE(text.find("25.00"), std::string::npos);
}

TEST(ViewsTest, HistoryHasLineAndGrandTotals) {
  json::value history = json::parse(R"({"purchases":[
      {"purchase_id":"p-1","item_id":"3-7","quantity":2,"price":0.1,"time":"2024-05-01T10:00:00Z"},
      {"purchase_id":"p-2","item_id":"3-8","quantity":1,"price":0.2,"time":0}]})");
  EXPECT_EQ(RenderHistory(history),
            "PURCHASE  ITEM  QTY  PRICE  SUBTOTAL  TIME\n"
            "--------  ----  ---  -----  --------  --------------------\n"
            "p-1       3-7     2   0.10      0.20  2024-05-01T10:00:00Z\n"
            "p-2       3-8     1   0.20      0.20  1970-01-01 00:00:00Z\n"
            "total spent: 0.40\n");
}

TEST(ViewsTest, ItemTableAndItemFields) {
  json::value items = json::parse(R"({"items":[{"id":"3-7","name":"Lamp","category":3,
      "keywords":["red","lamp"],"condition":"new","price":12.5,"quantity":4,
      "feedback":{"up":2,"down":0},"seller_id":9,"score":1}]})");
  EXPECT_EQ(RenderItemTable(items, {/*seller_column=*/true, /*score_column=*/true}),
            "ID   NAME  CATEGORY  CONDITION  PRICE  QTY  UP  DOWN  SELLER  "
            "SCORE  KEYWORDS\n"
            "---  ----  --------  ---------  -----  ---  --  ----  ------  "
            "-----  --------\n"
            "3-7  Lamp         3  new        12.50    4   2     0       9      "
            "1  red,lamp\n");
  EXPECT_EQ(RenderItemTable(json::parse(R"({"items":[]})"), {}), "(no items)\n");
  std::string item = RenderItem(items.at("items").at(0));
  EXPECT_NE(item.find("price:     12.50\n"), std::string::npos) << item;
  EXPECT_NE(item.find("feedback:  2 up, 0 down\n"), std::string::npos) << item;
}

}  // namespace
}  // namespace mp::client
