// Fuzzes request-target parsing (http/target.h) and the integer query
// parameters of the routes (http::QueryInt). The input is a request target,
// e.g. "/v1/items?category=3&keywords=red,lamp&limit=10".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/types.h"
#include "fuzz_check.h"
#include "http/json_fields.h"
#include "http/target.h"

namespace {

// Percent-encodes all but unreserved characters (and '/' when `keep_slash`).
std::string Encode(std::string_view in, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : in) {
    auto u = static_cast<unsigned char>(c);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    if (plain) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

void CheckQueryInt(const mp::http::Request& request, std::string_view name, int64_t min,
                   int64_t max) {
  auto value = mp::http::QueryInt(request, name, min, max);
  if (!value.ok()) {
    MP_FUZZ_CHECK(request.Query(name) != nullptr);
    return;
  }
  MP_FUZZ_CHECK(value->has_value() == (request.Query(name) != nullptr));
  if (*value) MP_FUZZ_CHECK(**value >= min && **value <= max);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  mp::http::Request request;
  if (!mp::http::ParseTarget(target, request)) return 0;

  MP_FUZZ_CHECK(!request.path.empty() && request.path[0] == '/');
  MP_FUZZ_CHECK(mp::IsValidUtf8(request.path));
  for (const auto& [key, value] : request.query) {
    MP_FUZZ_CHECK(!key.empty() && mp::IsValidUtf8(key) && mp::IsValidUtf8(value));
  }
  // Decoding loses nothing: the re-encoded target parses to the same request.
  std::string encoded = Encode(request.path, true);
  char separator = '?';
  for (const auto& [key, value] : request.query) {
    encoded += separator + Encode(key, false) + "=" + Encode(value, false);
    separator = '&';
  }
  mp::http::Request again;
  MP_FUZZ_CHECK(mp::http::ParseTarget(encoded, again));
  MP_FUZZ_CHECK(again.path == request.path && again.query == request.query);

  CheckQueryInt(request, "category", 0, mp::kMaxCategory);
  CheckQueryInt(request, "limit", 1, mp::kMaxSearchLimit);
  CheckQueryInt(request, "offset", 0, INT32_MAX);
  CheckQueryInt(request, "quantity", 1, mp::kMaxQuantity);
  return 0;
}
