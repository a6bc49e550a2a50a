#include "client/rest_client.h"

#include <random>

#include "client/json_util.h"
#include "common/status_mapping.h"

namespace json = boost::json;

namespace mp::client {
namespace {

bool IsReason(std::string_view code) {
  if (code.empty() || code.size() > 64) return false;
  for (char c : code) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// A short, single-line excerpt of a body that is not our error shape (a
// proxy's HTML page, say), so the user sees something useful.
std::string Excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 120)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  }
  if (body.size() > 120) out += "...";
  return out;
}

}  // namespace

Status ErrorFromResponse(int http_status, std::string_view body, std::string_view retry_after) {
  std::string reason;
  std::string message;
  StatusOr<json::value> parsed = ParseJsonBody(body);
  if (parsed.ok()) {
    const json::value& error = Field(*parsed, "error");
    const json::value& code = Field(error, "code");
    const json::value& text = Field(error, "message");
    if (code.is_string() && IsReason(code.get_string())) reason = code.get_string();
    if (text.is_string()) message = text.get_string();
  }
  if (message.empty()) {
    message = "HTTP " + std::to_string(http_status);
    std::string excerpt = Excerpt(body);
    if (reason.empty() && !excerpt.empty()) message += ": " + excerpt;
  }
  if (!retry_after.empty()) message += " (retry after " + std::string(retry_after) + "s)";
  Status status = FromHttp(http_status, std::move(reason), std::move(message));
  // A 2xx passed in by mistake must still be an error here.
  return status.ok() ? Internal("unexpected HTTP " + std::to_string(http_status)) : status;
}

std::string PercentEncode(std::string_view text, bool keep_commas) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    bool unreserved = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                      u == '-' || u == '.' || u == '_' || u == '~' || (keep_commas && u == ',');
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

std::string WithQuery(std::string path,
                      const std::vector<std::pair<std::string, std::string>>& params) {
  char separator = '?';
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    path += separator + PercentEncode(key) + "=" + PercentEncode(value, /*keep_commas=*/true);
    separator = '&';
  }
  return path;
}

std::string NewIdempotencyKey() {
  std::random_device random;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  for (int i = 0; i < 4; ++i) {
    uint32_t word = random();
    for (int j = 0; j < 8; ++j, word >>= 4) key.push_back(kHex[word & 0xF]);
  }
  return key;
}

StatusOr<ApiResponse> RestClient::Call(boost::beast::http::verb method, std::string target,
                                       const json::value* body, const CallOptions& options) {
  HttpRequest request;
  request.method = method;
  request.target = std::move(target);
  if (body != nullptr) request.body = SerializeJson(*body);
  if (options.authenticated && token_) {
    request.headers.emplace_back("Authorization", "Bearer " + *token_);
  }
  if (!options.idempotency_key.empty()) {
    request.headers.emplace_back("Idempotency-Key", options.idempotency_key);
  }
  MP_ASSIGN_OR_RETURN(HttpResponse response, http_.Send(request));
  if (response.status < 200 || response.status >= 300) {
    return ErrorFromResponse(response.status, response.body, response.retry_after);
  }
  MP_ASSIGN_OR_RETURN(json::value parsed, ParseJsonBody(response.body));
  return ApiResponse{response.status, std::move(response.body), std::move(parsed)};
}

}  // namespace mp::client
