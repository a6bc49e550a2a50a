#pragma once

#include <string>
#include <utility>
#include <vector>

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

// The one JSON error body of SPEC §4 for `status`, with the HTTP status the
// Status maps to (status_mapping.cc).
Response ErrorResponse(const Status& status);

// Routes (method, path pattern) to handlers. Patterns are literal segments
// and "{name}" segments, e.g. "/v1/items/{id}". Unknown paths answer 404,
// known paths with another method 405 (with Allow). It also serves
// GET /metrics. Add routes before serving; Dispatch is then thread-safe.
class Router {
 public:
  explicit Router(std::string component);

  void Add(Verb method, std::string pattern, Handler handler);
  // Finds the handler, runs it, and calls `send` exactly once with the
  // serialized result, on whatever thread the handler finished on.
  void Dispatch(std::shared_ptr<Request> request, std::function<void(Response)> send) const;

  // "METHOD pattern" of every route, for the API document check.
  std::vector<std::string> RouteNames() const;
  Metrics& metrics() { return metrics_; }

 private:
  struct Route {
    Verb method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    size_t metrics_index;
  };
  const Route* Match(const Request& request, std::map<std::string, std::string>* params,
                     std::string* allow) const;

  std::string component_;
  std::vector<Route> routes_;
  mutable Metrics metrics_;  // lock-free counters, updated by const Dispatch
  size_t unmatched_metrics_index_;
};

// Turns a handler's result into a response: JSON body, status from the Status.
Response ToResponse(const StatusOr<Reply>& result);

}  // namespace mp::http
