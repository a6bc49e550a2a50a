#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/types.h"

namespace mp::client {

// JSON helpers for the client: exact money in both directions, request
// bodies serialized in plain decimal, and lenient field access for display.

// Parses a reply body; "" gives null (a 204 has no body). kInternal when the
// body is not JSON.
StatusOr<boost::json::value> ParseJsonBody(std::string_view body);

// Like boost::json::serialize, but a double is written in plain decimal
// ("12.5", where Boost would write "1.25E1") so a price reads the way the
// user typed it. NaN and infinity become null.
std::string SerializeJson(const boost::json::value& value);

// A price as the API wants it: a whole amount as an integer, otherwise the
// double nearest to the decimal text of `money` (converted, not computed).
boost::json::value MoneyToJson(Money money);

// A JSON number with at most two decimals, >= 0, as exact cents. The double
// is turned into decimal text and back, never scaled in floating point.
// kInvalidArgument names `field` when the value is not such a number.
StatusOr<Money> MoneyFromJson(const boost::json::value& value, std::string_view field = "price");

// The member `key` of `value` if `value` is an object that has it, else null.
const boost::json::value& Field(const boost::json::value& value, std::string_view key);

// A scalar for display: strings as they are, numbers in decimal, true/false,
// "" for null or a missing field; arrays of scalars joined with ','.
std::string Text(const boost::json::value& value);
// Field(value, key) through Text.
std::string TextField(const boost::json::value& value, std::string_view key);
// Field(value, key) as money "12.50"; when it is not a valid amount, its raw
// text, so a display never hides what the server sent.
std::string MoneyField(const boost::json::value& value, std::string_view key);
// Field(value, key) as an integer, or `fallback` if it is none.
int64_t IntField(const boost::json::value& value, std::string_view key, int64_t fallback = 0);
// Field(value, key) as an array (empty if it is none).
const boost::json::array& ArrayField(const boost::json::value& value, std::string_view key);

}  // namespace mp::client
