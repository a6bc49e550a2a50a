#include "http/json_fields.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace mp::http {
namespace json = boost::json;

namespace {

const json::value* Find(const json::object& body, std::string_view field) {
  auto it = body.find(field);
  return it == body.end() || it->value().is_null() ? nullptr : &it->value();
}

Status Missing(std::string_view field) { return InvalidArgument(field, "is required"); }

}  // namespace

StatusOr<std::string> RequiredString(const json::object& body, std::string_view field) {
  const json::value* v = Find(body, field);
  if (v == nullptr) return Missing(field);
  if (!v->is_string()) return InvalidArgument(field, "must be a string");
  return std::string(v->get_string());
}

StatusOr<int64_t> RequiredInt(const json::object& body, std::string_view field) {
  const json::value* v = Find(body, field);
  if (v == nullptr) return Missing(field);
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return InvalidArgument(field, "is out of range");
  if (v->is_double()) {
    double d = v->get_double();
    // 3.0 is an integer; 3.5 and 1e300 are not.
    if (std::trunc(d) == d && std::abs(d) < 9e15) return static_cast<int64_t>(d);
  }
  return InvalidArgument(field, "must be an integer");
}

StatusOr<Money> RequiredPrice(const json::object& body, std::string_view field) {
  const json::value* v = Find(body, field);
  if (v == nullptr) return Missing(field);
  int64_t cents = 0;
  if (v->is_int64()) {
    if (v->get_int64() > kMaxPriceCents / 100 || v->get_int64() <= 0) {
      return InvalidArgument(field, "must be more than 0 and at most 1000000000");
    }
    cents = v->get_int64() * 100;
  } else if (v->is_double()) {
    // The parser hands over the nearest double; a price with at most two
    // decimals comes back exactly from it after scaling, up to a few ulps.
    double scaled = v->get_double() * 100.0;
    double rounded = std::round(scaled);
    if (!std::isfinite(scaled) ||
        std::abs(scaled - rounded) >
            8 * std::numeric_limits<double>::epsilon() * std::max(1.0, std::abs(scaled))) {
      return InvalidArgument(field, "must be a number with at most two decimals");
    }
    if (rounded <= 0 || rounded > static_cast<double>(kMaxPriceCents)) {
      return InvalidArgument(field, "must be more than 0 and at most 1000000000");
    }
    cents = static_cast<int64_t>(rounded);
  } else {
    return InvalidArgument(field, "must be a number");
  }
  MP_RETURN_IF_ERROR(ValidatePriceCents(cents));
  return Money{cents};
}

StatusOr<std::vector<std::string>> OptionalStringArray(const json::object& body,
                                                       std::string_view field) {
  std::vector<std::string> out;
  const json::value* v = Find(body, field);
  if (v == nullptr) return out;
  if (!v->is_array()) return InvalidArgument(field, "must be an array of strings");
  for (const json::value& e : v->get_array()) {
    if (!e.is_string()) return InvalidArgument(field, "must be an array of strings");
    out.emplace_back(e.get_string());
  }
  return out;
}

StatusOr<std::optional<int64_t>> QueryInt(const Request& request, std::string_view name,
                                          int64_t min, int64_t max) {
  const std::string* text = request.Query(name);
  if (text == nullptr) return std::optional<int64_t>();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    return InvalidArgument(
        name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return std::optional<int64_t>(value);
}

StatusOr<Page> QueryPage(const Request& request, int64_t max_limit, int32_t default_limit) {
  MP_ASSIGN_OR_RETURN(std::optional<int64_t> limit, QueryInt(request, "limit", 1, max_limit));
  MP_ASSIGN_OR_RETURN(std::optional<int64_t> offset, QueryInt(request, "offset", 0, INT32_MAX));
  return Page{.limit = limit ? static_cast<int32_t>(*limit) : default_limit,
              .offset = static_cast<int32_t>(offset.value_or(0))};
}

namespace {
void Write(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string_view(key));
        out += ':';
        Write(value, out);
      }
      out += '}';
      break;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        Write(e, out);
      }
      out += ']';
      break;
    }
    case json::kind::double_: {
      char buf[64];
      auto [end, ec] =
          std::to_chars(buf, buf + sizeof buf, v.get_double(), std::chars_format::fixed);
      out.append(buf, ec == std::errc() ? end : buf);
      break;
    }
    default:
      out += json::serialize(v);
  }
}
}  // namespace

std::string SerializeJson(const json::value& value) {
  std::string out;
  Write(value, out);
  return out;
}

json::value PriceJson(int64_t cents) {
  // Whole amounts stay integers; others become the double nearest to the
  // two-decimal value, which serializes back to exactly those digits.
  if (cents % 100 == 0) return json::value(cents / 100);
  return json::value(static_cast<double>(cents) / 100.0);
}

json::object FeedbackJson(int64_t up, int64_t down) { return {{"up", up}, {"down", down}}; }

json::object ItemJson(const v1::Item& item) {
  json::array keywords;
  for (const std::string& k : item.keywords()) keywords.emplace_back(k);
  return {{"id", item.id()},
          {"name", item.name()},
          {"category", item.category()},
          {"keywords", std::move(keywords)},
          {"condition", item.condition() == v1::CONDITION_USED ? "used" : "new"},
          {"price", PriceJson(item.price_cents())},
          {"quantity", item.quantity()},
          {"feedback", FeedbackJson(item.feedback().up(), item.feedback().down())},
          {"seller_id", item.seller_id()}};
}

StatusOr<v1::Condition> ParseCondition(std::string_view text) {
  if (text == "new") return v1::CONDITION_NEW;
  if (text == "used") return v1::CONDITION_USED;
  return InvalidArgument("condition", "must be \"new\" or \"used\"");
}

}  // namespace mp::http
