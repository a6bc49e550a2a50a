#pragma once

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/http_client.h"
#include "common/status.h"

namespace mp::client {

// A 2xx reply of the REST API.
struct ApiResponse {
  int http_status = 0;
  std::string raw;          // the body as received, for --json
  boost::json::value json;  // the parsed body; null when it is empty (204)
};

struct CallOptions {
  // Send the session token, when there is one.
  bool authenticated = true;
  // Sent as Idempotency-Key, which also makes the request safe to retry on
  // another server after a lost connection.
  std::string idempotency_key;

  // A call made before there is a session (create-account, login).
  static CallOptions Anonymous() {
    CallOptions options;
    options.authenticated = false;
    return options;
  }
  static CallOptions WithIdempotencyKey(std::string key) {
    CallOptions options;
    options.idempotency_key = std::move(key);
    return options;
  }
};

// The Status for a non-2xx reply: the body's {"error":{"code","message"}}
// (docs/contract.md §4) through FromHttp, or, for a body of another shape, the HTTP
// status with a short excerpt of the body. A Retry-After value is added to
// the message.
Status ErrorFromResponse(int http_status, std::string_view body, std::string_view retry_after = "");

// "%"-encodes all but RFC 3986 unreserved characters (and ',' when
// `keep_commas`, the separator of list parameters).
std::string PercentEncode(std::string_view text, bool keep_commas = false);

// `path` + "?k=v&..." for the parameters whose value is not empty.
std::string WithQuery(std::string path,
                      const std::vector<std::pair<std::string, std::string>>& params);

// 32 random hex digits for an Idempotency-Key.
std::string NewIdempotencyKey();

// JSON over HttpClient: bearer token, request encoding, reply decoding and
// error mapping. Not thread-safe.
class RestClient {
 public:
  explicit RestClient(HttpClient& http) : http_(http) {}

  void set_token(std::optional<std::string> token) { token_ = std::move(token); }
  const std::optional<std::string>& token() const { return token_; }

  // Sends `body` (nullptr: none) to `target`. Returns the 2xx reply, the
  // error its body describes, HttpClient's transport errors, or kInternal
  // when a 2xx body is not JSON.
  StatusOr<ApiResponse> Call(boost::beast::http::verb method, std::string target,
                             const boost::json::value* body, const CallOptions& options);

 private:
  HttpClient& http_;
  std::optional<std::string> token_;
};

}  // namespace mp::client
