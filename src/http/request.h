#pragma once

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mp::http {

using Verb = boost::beast::http::verb;

// What a handler sees of one HTTP request. Immutable once dispatched.
struct Request {
  Verb method = Verb::get;
  std::string path;                                // without the query string
  std::map<std::string, std::string> query;        // decoded
  std::map<std::string, std::string> path_params;  // e.g. {"id": "3-1042"}
  std::string authorization;
  std::string idempotency_key;
  std::string content_type;  // the Content-Type header, as sent
  std::string body;
  std::string remote;  // client address, for logs and throttling
  uint64_t id = 0;     // request id, in every log line about it

  // The body as a JSON object; kInvalidArgument/"body" when it is missing,
  // malformed or not an object.
  StatusOr<boost::json::object> JsonBody() const;
  const std::string* Query(std::string_view name) const;
  const std::string& Param(const std::string& name) const;
};

using RequestPtr = std::shared_ptr<const Request>;

// A successful answer: a status (200, 201, 204) and a JSON body (none for 204).
struct Reply {
  int status = 200;
  std::optional<boost::json::value> body;

  static Reply Ok(boost::json::value body) { return {200, std::move(body)}; }
  static Reply Created(boost::json::value body) { return {201, std::move(body)}; }
  static Reply NoContent() { return {204, std::nullopt}; }
};

// Called exactly once per request, from any thread.
using Done = std::function<void(StatusOr<Reply>)>;
// Handlers answer through `done`, asynchronously: they never block the
// calling (io_context) thread on a network call.
using Handler = std::function<void(RequestPtr, Done)>;

// Continues with `then(value)` on success, or answers the error. For
// chaining asynchronous steps without repeating the error branch.
template <typename T, typename F>
std::function<void(StatusOr<T>)> Then(Done done, F then) {
  return [done = std::move(done), then = std::move(then)](StatusOr<T> result) mutable {
    if (!result.ok()) {
      done(result.status());
      return;
    }
    then(std::move(result).value(), std::move(done));
  };
}

}  // namespace mp::http
