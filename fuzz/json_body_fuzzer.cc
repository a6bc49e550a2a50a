// Fuzzes request bodies: Request::JsonBody and the typed field readers
// (http/json_fields.h) over every field a route reads, as the seller, buyer
// and account routes do.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/types.h"
#include "fuzz_check.h"
#include "http/json_fields.h"
#include "http/request.h"

namespace json = boost::json;
namespace http = mp::http;

namespace {

// Every field of every route's body (docs/api).
constexpr std::string_view kFields[] = {
    "username", "password", "name", "category",    "keywords",   "condition",    "price",
    "quantity", "item_id",  "vote", "card_number", "expiration", "security_code"};

const json::value* Present(const json::object& body, std::string_view field) {
  auto it = body.find(field);
  return it == body.end() || it->value().is_null() ? nullptr : &it->value();
}

void CheckPrice(const json::object& body, std::string_view field) {
  auto price = http::RequiredPrice(body, field);
  if (!price.ok()) return;
  MP_FUZZ_CHECK(price->cents > 0 && price->cents <= mp::kMaxPriceCents);
  const json::value& sent = *Present(body, field);
  if (sent.is_int64()) MP_FUZZ_CHECK(price->cents == sent.get_int64() * 100);
  if (sent.is_double()) MP_FUZZ_CHECK(std::abs(sent.get_double() * 100 - price->cents) < 0.01);
  // A price the servers print reads back as the same cents.
  json::object echoed{{"price", json::parse(http::SerializeJson(http::PriceJson(price->cents)))}};
  auto again = http::RequiredPrice(echoed, "price");
  MP_FUZZ_CHECK(again.ok() && again->cents == price->cents);
}

void CheckField(const json::object& body, std::string_view field) {
  const json::value* v = Present(body, field);
  auto text = http::RequiredString(body, field);
  MP_FUZZ_CHECK(text.ok() == (v != nullptr && v->is_string()));
  if (text.ok()) {
    auto condition = http::ParseCondition(*text);
    MP_FUZZ_CHECK(condition.ok() == (*text == "new" || *text == "used"));
  }
  auto number = http::RequiredInt(body, field);
  if (number.ok()) {
    MP_FUZZ_CHECK(v->is_int64() || v->is_double());
    if (v->is_int64()) MP_FUZZ_CHECK(*number == v->get_int64());
    if (v->is_double()) MP_FUZZ_CHECK(static_cast<double>(*number) == v->get_double());
  }
  CheckPrice(body, field);
  auto list = http::OptionalStringArray(body, field);
  if (list.ok()) {
    MP_FUZZ_CHECK(v == nullptr || (v->is_array() && v->get_array().size() == list->size()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::Request request;
  request.body.assign(reinterpret_cast<const char*>(data), size);
  auto body = request.JsonBody();
  if (!body.ok()) {
    MP_FUZZ_CHECK(body.status().code() == mp::StatusCode::kInvalidArgument);
    return 0;
  }
  for (std::string_view field : kFields) CheckField(*body, field);
  // Responses echo request strings (names, item ids) through this writer.
  (void)http::SerializeJson(*body);
  return 0;
}
