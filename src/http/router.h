#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/auth.h"
#include "http/metrics.h"
#include "http/request.h"

namespace mp::http {

// A finished response, ready to be written.
struct Response {
  int status = 200;
  std::string body;  // JSON, or Prometheus text for /metrics
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// The one JSON error body of docs/contract.md §4 for `status`, with the HTTP status the
// Status maps to (status_mapping.cc).
Response ErrorResponse(const Status& status);

// A file of a web page, served as it is at one exact path (src/web makes
// them from the files embedded at build time). Answered with its ETag, and
// 304 to a request whose If-None-Match names it.
struct StaticFile {
  std::string path;  // "/" or "/assets/app.3fa29c01d2.mjs"
  std::string content_type;
  std::string_view body;  // embedded in the binary: lives as long as it
  std::string etag;       // quoted, e.g. "\"3fa29c01d2\""
  // Assets are named by their content's hash, so a name never serves
  // other bytes: cached for a year and never revalidated. The page itself
  // is revalidated on every load (no-cache + ETag), so a new build shows.
  bool immutable = false;
};

// Who may call a route. The router applies it before the handler runs, so a
// handler never checks a session by hand.
enum class Access {
  kPublic,
  // A verified token of the router's role. The session itself is checked
  // by the customer DB inside the call that carries it (Caller::session),
  // in the same transaction as the write: one round trip, not two.
  kToken,
  // A live session, checked with the customer DB before the handler runs:
  // for writes whose call does not carry the session.
  kSession,
  // For reads: the handler runs at once, with the token's user, beside the
  // session check; its answer is given only if the session is live and the
  // user's. A read has no effect to undo when the session turns out dead.
  kSessionBeside,
};

// Routes (method, path pattern) to handlers. Patterns are literal segments
// and "{name}" segments, e.g. "/v1/items/{id}". Unknown paths answer 404,
// known paths with another method 405 (with Allow). It also serves
// GET /metrics. Add routes before serving; Dispatch is then thread-safe.
class Router {
 public:
  // `auth` checks the sessions of every route that is not kPublic; it must
  // outlive the router (null: public routes only).
  explicit Router(std::string component, const SessionAuth* auth = nullptr);

  // REQUIRES: an `auth` when `access` is not kPublic.
  void Add(Verb method, std::string pattern, Access access, Handler handler);
  // A web page's file at its exact path, GET only. Not an API route: not
  // in RouteNames.
  void AddFile(const StaticFile& file);
  // Finds the handler, applies its access rule, runs it, and calls `send`
  // exactly once with the serialized result, on whatever thread the handler
  // finished on. Every error and exception of a handler, before or after
  // its first suspension, becomes one error response.
  void Dispatch(std::shared_ptr<Request> request, std::function<void(Response)> send) const;

  // "METHOD pattern" of every route, for the API document check.
  std::vector<std::string> RouteNames() const;
  Metrics& metrics() { return metrics_; }

 private:
  struct Route {
    Verb method;
    std::string pattern;
    std::vector<std::string> segments;
    Access access;
    Handler handler;
    size_t metrics_index;
    const StaticFile* file = nullptr;  // set: served as it is, no handler
  };
  Task<StatusOr<Reply>> Run(const Route& route, RequestPtr request) const;
  const Route* Match(const Request& request, std::map<std::string, std::string>* params,
                     std::string* allow) const;

  std::string component_;
  const SessionAuth* auth_;
  std::vector<Route> routes_;
  std::vector<std::unique_ptr<StaticFile>> files_;  // stable addresses for Route::file
  mutable Metrics metrics_;                         // lock-free counters, updated by const Dispatch
  size_t unmatched_metrics_index_;
};

// Turns a handler's result into a response: JSON body, status from the Status.
Response ToResponse(const StatusOr<Reply>& result);

}  // namespace mp::http
