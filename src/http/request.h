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
#include "common/task.h"
#include "customer_db.pb.h"

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
  std::string content_type;   // the Content-Type header, as sent
  std::string if_none_match;  // for the web pages' files (Router::AddFile)
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

// Who calls, as the route's access rule (router.h) established it before
// the handler runs.
struct Caller {
  // The user the token (kToken, kSessionBeside) or the live session
  // (kSession) names; 0 for a public route.
  int64_t user_id = 0;
  // The session the token names, for calls that carry it to the customer DB.
  v1::SessionRequest session;
};

// A route's handler: a coroutine (common/task.h) that awaits its RPCs and
// returns the reply or the error. It gets the request and caller by value:
// a coroutine keeps what it was given for as long as it runs.
using Handler = std::function<Task<StatusOr<Reply>>(RequestPtr, Caller)>;

}  // namespace mp::http
