#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/types.h"
#include "http/request.h"
#include "product_db.pb.h"

namespace mp::http {

// Typed reads of request fields. Each returns kInvalidArgument naming the
// field when it is missing (if required) or of the wrong type.

StatusOr<std::string> RequiredString(const boost::json::object& body, std::string_view field);
StatusOr<int64_t> RequiredInt(const boost::json::object& body, std::string_view field);
// A JSON number > 0 with at most two decimals, kept exactly as cents.
StatusOr<Money> RequiredPrice(const boost::json::object& body, std::string_view field);
// Absent or null: an empty list.
StatusOr<std::vector<std::string>> OptionalStringArray(const boost::json::object& body,
                                                       std::string_view field);

// An integer query parameter in [min, max]; `fallback` when absent.
StatusOr<std::optional<int64_t>> QueryInt(const Request& request, std::string_view name,
                                          int64_t min, int64_t max);

// A page of a list: ?limit=L (1..max_limit, default_limit when absent) and
// ?offset=O (0 or more, default 0).
struct Page {
  int32_t limit = 0;
  int32_t offset = 0;
};
StatusOr<Page> QueryPage(const Request& request, int64_t max_limit, int32_t default_limit);

// Like boost::json::serialize, but numbers that are not integers are written
// in plain decimal ("1234567.89", never "1.23456789E6"): prices read as
// people write them.
std::string SerializeJson(const boost::json::value& value);

// Response views, shared by both frontends.
boost::json::value PriceJson(int64_t cents);
boost::json::object FeedbackJson(int64_t up, int64_t down);
boost::json::object ItemJson(const v1::Item& item);
StatusOr<v1::Condition> ParseCondition(std::string_view text);

}  // namespace mp::http
