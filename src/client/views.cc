#include "client/views.h"

#include <algorithm>
#include <ctime>

#include "client/json_util.h"
#include "client/table.h"

namespace json = boost::json;

namespace mp::client {
namespace {

std::string Feedback(const json::value& feedback) {
  return TextField(feedback, "up") + " up, " + TextField(feedback, "down") + " down";
}

// Sums the line totals; nullopt when one of them is unknown.
class Sum {
 public:
  void Add(std::optional<Money> amount) {
    if (!amount || __builtin_add_overflow(total_.cents, amount->cents, &total_.cents)) {
      known_ = false;
    }
  }
  std::string Text() const { return known_ ? total_.ToString() : "?"; }

 private:
  Money total_;
  bool known_ = true;
};

// The server's total, or our own sum when the reply has none.
std::string TotalText(const json::value& reply, const Sum& sum) {
  return Field(reply, "total").is_null() ? sum.Text() : MoneyField(reply, "total");
}

std::string LineTotalText(const json::value& line) {
  std::optional<Money> total = LineTotal(line);
  return total ? total->ToString() : "?";
}

}  // namespace

std::optional<Money> LineTotal(const json::value& line) {
  StatusOr<Money> price = MoneyFromJson(Field(line, "price"));
  int64_t quantity = IntField(line, "quantity", -1);
  Money total;
  if (!price.ok() || quantity < 0 || __builtin_mul_overflow(price->cents, quantity, &total.cents)) {
    return std::nullopt;
  }
  return total;
}

std::string TimeText(const json::value& time) {
  if (!time.is_int64() && !time.is_uint64()) return Text(time);
  int64_t seconds = time.is_int64()
                        ? time.get_int64()
                        : static_cast<int64_t>(std::min<uint64_t>(time.get_uint64(), INT64_MAX));
  if (seconds > 100'000'000'000) seconds /= 1000;  // milliseconds
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  char buf[32];
  if (gmtime_r(&t, &tm) == nullptr || std::strftime(buf, sizeof(buf), "%F %TZ", &tm) == 0) {
    return Text(time);
  }
  return buf;
}

std::string RenderItem(const json::value& item) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", TextField(item, "id")},
      {"name", TextField(item, "name")},
      {"category", TextField(item, "category")},
      {"condition", TextField(item, "condition")},
      {"price", MoneyField(item, "price")},
      {"quantity", TextField(item, "quantity")},
      {"keywords", TextField(item, "keywords")},
      {"feedback", Feedback(Field(item, "feedback"))},
      {"seller", TextField(item, "seller_id")}};
  if (!Field(item, "score").is_null()) fields.emplace_back("score", TextField(item, "score"));
  return RenderFields(fields);
}

std::string RenderItemTable(const json::value& items, ItemTableOptions options) {
  const json::array& list = items.is_array() ? items.get_array() : ArrayField(items, "items");
  if (list.empty()) return "(no items)\n";
  std::vector<Column> columns = {{"ID"},
                                 {"NAME"},
                                 {"CATEGORY", Align::kRight},
                                 {"CONDITION"},
                                 {"PRICE", Align::kRight},
                                 {"QTY", Align::kRight},
                                 {"UP", Align::kRight},
                                 {"DOWN", Align::kRight}};
  if (options.seller_column) columns.push_back({"SELLER", Align::kRight});
  if (options.score_column) columns.push_back({"SCORE", Align::kRight});
  columns.push_back({"KEYWORDS"});
  Table table(columns);
  for (const json::value& item : list) {
    const json::value& feedback = Field(item, "feedback");
    std::vector<std::string> row = {TextField(item, "id"),       TextField(item, "name"),
                                    TextField(item, "category"), TextField(item, "condition"),
                                    MoneyField(item, "price"),   TextField(item, "quantity"),
                                    TextField(feedback, "up"),   TextField(feedback, "down")};
    if (options.seller_column) row.push_back(TextField(item, "seller_id"));
    if (options.score_column) row.push_back(TextField(item, "score"));
    row.push_back(TextField(item, "keywords"));
    table.AddRow(std::move(row));
  }
  return table.Render();
}

std::string RenderRating(const json::value& rating) {
  return "feedback: " + Feedback(rating) + "\n";
}

std::string RenderCart(const json::value& cart) {
  const json::array& lines = ArrayField(cart, "items");
  if (lines.empty()) return "cart is empty\n";
  Table table({{"ITEM"},
               {"NAME"},
               {"PRICE", Align::kRight},
               {"QTY", Align::kRight},
               {"AVAILABLE", Align::kRight},
               {"SUBTOTAL", Align::kRight}});
  Sum sum;
  int short_lines = 0;
  for (const json::value& line : lines) {
    int64_t available = IntField(line, "available", -1);
    bool short_of_stock = available >= 0 && available < IntField(line, "quantity");
    short_lines += short_of_stock;
    sum.Add(LineTotal(line));
    table.AddRow({TextField(line, "item_id"), TextField(line, "name"), MoneyField(line, "price"),
                  TextField(line, "quantity"),
                  // "  " keeps the digits of unmarked lines aligned with marked ones.
                  TextField(line, "available") + (short_of_stock ? " !" : "  "),
                  LineTotalText(line)});
  }
  std::string out = table.Render() + "total: " + TotalText(cart, sum) + "\n";
  if (short_lines > 0) {
    out +=
        "! fewer units are for sale than this cart holds: lower the quantity "
        "(remove ITEM_ID "
        "--quantity N) before you purchase\n";
  }
  return out;
}

std::string RenderPurchase(const json::value& purchase, const std::string& card_last4) {
  Table table({{"ITEM"},
               {"NAME"},
               {"PRICE", Align::kRight},
               {"QTY", Align::kRight},
               {"SUBTOTAL", Align::kRight}});
  Sum sum;
  for (const json::value& line : ArrayField(purchase, "items")) {
    sum.Add(LineTotal(line));
    table.AddRow({TextField(line, "item_id"), TextField(line, "name"), MoneyField(line, "price"),
                  TextField(line, "quantity"), LineTotalText(line)});
  }
  std::string out = "purchase " + TextField(purchase, "purchase_id") + ": " +
                    TotalText(purchase, sum) + " charged to the card ending in " + card_last4 +
                    "\n";
  if (table.rows() > 0) out += table.Render();
  return out;
}

std::string RenderHistory(const json::value& history) {
  const json::array& purchases = ArrayField(history, "purchases");
  if (purchases.empty()) return "no purchases yet\n";
  Table table({{"PURCHASE"},
               {"ITEM"},
               {"QTY", Align::kRight},
               {"PRICE", Align::kRight},
               {"SUBTOTAL", Align::kRight},
               {"TIME"}});
  Sum sum;
  for (const json::value& line : purchases) {
    sum.Add(LineTotal(line));
    table.AddRow({TextField(line, "purchase_id"), TextField(line, "item_id"),
                  TextField(line, "quantity"), MoneyField(line, "price"), LineTotalText(line),
                  TimeText(Field(line, "time"))});
  }
  return table.Render() + "total spent: " + sum.Text() + "\n";
}

}  // namespace mp::client
