#include "client/json_util.h"

#include <charconv>
#include <cmath>

namespace json = boost::json;

namespace mp::client {
namespace {

// Beyond this a double no longer holds every cent exactly (2^53 cents).
constexpr double kMaxExactMoney = 9.0e13;

std::string PlainDouble(double d) {
  if (!std::isfinite(d)) return "null";
  char buf[400];
  // Plain decimal for the amounts a marketplace sees; shortest round-trip
  // scientific form for the rest, which is valid JSON too.
  auto format = std::fabs(d) < 1e15 ? std::chars_format::fixed : std::chars_format::general;
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d, format);
  if (ec != std::errc()) return "null";
  return std::string(buf, end);
}

void Serialize(const json::value& value, std::string& out) {
  switch (value.kind()) {
    case json::kind::double_:
      out += PlainDouble(value.get_double());
      return;
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& member : value.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(member.key());
        out += ':';
        Serialize(member.value(), out);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& element : value.get_array()) {
        if (!first) out += ',';
        first = false;
        Serialize(element, out);
      }
      out += ']';
      return;
    }
    default:
      out += json::serialize(value);
  }
}

const json::value kNull;
const json::array kEmptyArray;

}  // namespace

StatusOr<json::value> ParseJsonBody(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::value();
  boost::system::error_code ec;
  json::value value = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) return Internal("the server sent a reply that is not JSON: " + ec.message());
  return value;
}

std::string SerializeJson(const json::value& value) {
  std::string out;
  Serialize(value, out);
  return out;
}

json::value MoneyToJson(Money money) {
  if (money.cents % 100 == 0) return json::value(money.cents / 100);
  std::string text = money.ToString();
  double d = 0;
  std::from_chars(text.data(), text.data() + text.size(), d);
  return json::value(d);
}

StatusOr<Money> MoneyFromJson(const json::value& value, std::string_view field) {
  auto bad = [&] { return InvalidArgument(field, "is not an amount with at most two decimals"); };
  if (value.is_int64() || value.is_uint64()) {
    int64_t whole = value.is_int64() ? value.get_int64() : -1;
    if (value.is_uint64() && value.get_uint64() <= INT64_MAX / 100) {
      whole = static_cast<int64_t>(value.get_uint64());
    }
    if (whole < 0 || whole > INT64_MAX / 100) return bad();
    return Money{whole * 100};
  }
  if (!value.is_double()) return bad();
  double d = value.get_double();
  if (!(d >= 0 && d < kMaxExactMoney)) return bad();
  // The decimal text with two places, read back: if it is not the same
  // double, the number had more than two decimals.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed, 2);
  if (ec != std::errc()) return bad();
  double back = -1;
  std::from_chars(buf, end, back);
  if (back != d) return bad();
  std::string digits;
  for (const char* p = buf; p != end; ++p) {
    if (*p != '.') digits.push_back(*p);
  }
  int64_t cents = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), cents);
  return Money{cents};
}

const json::value& Field(const json::value& value, std::string_view key) {
  if (!value.is_object()) return kNull;
  const json::value* member = value.get_object().if_contains(json::string_view(key));
  return member ? *member : kNull;
}

std::string Text(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "";
    case json::kind::string:
      return std::string(value.get_string());
    case json::kind::bool_:
      return value.get_bool() ? "true" : "false";
    case json::kind::int64:
      return std::to_string(value.get_int64());
    case json::kind::uint64:
      return std::to_string(value.get_uint64());
    case json::kind::double_:
      return PlainDouble(value.get_double());
    case json::kind::array: {
      std::string out;
      for (const json::value& element : value.get_array()) {
        if (!out.empty()) out += ',';
        out += Text(element);
      }
      return out;
    }
    case json::kind::object:
      return SerializeJson(value);
  }
  return "";
}

std::string TextField(const json::value& value, std::string_view key) {
  return Text(Field(value, key));
}

std::string MoneyField(const json::value& value, std::string_view key) {
  const json::value& field = Field(value, key);
  StatusOr<Money> money = MoneyFromJson(field, key);
  return money.ok() ? money->ToString() : Text(field);
}

int64_t IntField(const json::value& value, std::string_view key, int64_t fallback) {
  const json::value& field = Field(value, key);
  if (field.is_int64()) return field.get_int64();
  if (field.is_uint64() && field.get_uint64() <= INT64_MAX) {
    return static_cast<int64_t>(field.get_uint64());
  }
  return fallback;
}

const json::array& ArrayField(const json::value& value, std::string_view key) {
  const json::value& field = Field(value, key);
  return field.is_array() ? field.get_array() : kEmptyArray;
}

}  // namespace mp::client
