#include "client/table.h"

#include <gtest/gtest.h>

namespace mp::client {
namespace {

TEST(TableTest, AlignsColumnsAndRightAlignsNumbers) {
  Table table({{"ID"}, {"NAME"}, {"PRICE", Align::kRight}});
  table.AddRow({"3-7", "Lamp", "12.50"});
  table.AddRow({"3-1042", "Desk", "1250.00"});
  EXPECT_EQ(table.Render(),
            "ID      NAME    PRICE\n"
            "------  ----  -------\n"
            "3-7     Lamp    12.50\n"
            "3-1042  Desk  1250.00\n");
}

TEST(TableTest, LastLeftColumnHasNoTrailingBlanksAndMissingCellsAreEmpty) {
  Table table({{"A"}, {"KEYWORDS"}});
  table.AddRow({"x"});
  table.AddRow({"yy", "red,lamp"});
  EXPECT_EQ(table.Render(),
            "A   KEYWORDS\n"
            "--  --------\n"
            "x\n"
            "yy  red,lamp\n");
}

TEST(TableTest, CountsUtf8CodePointsAndNeutralisesControlCharacters) {
  Table table({{"NAME"}, {"N", Align::kRight}});
  table.AddRow({"Café", "1"});
  table.AddRow({"a\x1b[31mb", "2"});
  EXPECT_EQ(table.Render(),
            "NAME     N\n"
            "-------  -\n"
            "Café     1\n"
            "a?[31mb  2\n");
}

TEST(TableTest, RenderFieldsAlignsValues) {
  EXPECT_EQ(RenderFields({{"id", "3-7"}, {"quantity", "4"}}),
            "id:       3-7\n"
            "quantity: 4\n");
}

}  // namespace
}  // namespace mp::client
