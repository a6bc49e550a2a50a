#include "http/router.h"

#include <chrono>
#include <stdexcept>

#include "common/log.h"
#include "common/status_mapping.h"
#include "http/json_fields.h"
#include "http/target.h"

namespace mp::http {
namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::string VerbName(Verb v) { return std::string(boost::beast::http::to_string(v)); }

// A body is read as JSON only when it says it is: application/json, any case,
// parameters (`; charset=utf-8`) allowed. Otherwise a plain HTML form (which
// can send text/plain or application/x-www-form-urlencoded to any origin
// without a CORS preflight) could create accounts or spend a victim's login
// budget from any web page.
bool IsJson(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  constexpr std::string_view kJson = "application/json";
  if (media.size() != kJson.size()) return false;
  for (size_t i = 0; i < media.size(); ++i) {
    char c = media[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kJson[i]) return false;
  }
  return true;
}

// What every file of a web page is sent with. The pages load nothing from
// another origin and run no inline script, so the policy can be this strict.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

// If-None-Match holds "*" or a list of entity tags, each maybe weak (W/).
bool NoneMatchNames(std::string_view header, std::string_view etag) {
  size_t start = 0;
  while (start < header.size()) {
    size_t comma = header.find(',', start);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view tag = header.substr(start, comma - start);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    start = comma + 1;
  }
  return false;
}

Response FileResponse(const StaticFile& file, const Request& request) {
  Response r;
  r.headers = {
      {"ETag", file.etag},
      {"Cache-Control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Content-Security-Policy", std::string(kContentSecurityPolicy)},
  };
  if (NoneMatchNames(request.if_none_match, file.etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = file.content_type;
  r.body = std::string(file.body);
  return r;
}

}  // namespace

Response ErrorResponse(const Status& status) {
  Response r;
  r.status = ToHttp(status);
  boost::json::object error;
  error["code"] = status.reason();
  // Internal errors are logged where they happen; callers get no internals.
  error["message"] =
      status.code() == StatusCode::kInternal ? std::string("internal error") : status.message();
  r.body = boost::json::serialize(boost::json::object{{"error", std::move(error)}});
  // docs/contract.md §3: a throttled login says when to come back (the real remaining
  // window, carried by the Status from the customer DB).
  if (status.retry_after_s() > 0) {
    r.headers.emplace_back("Retry-After", std::to_string(status.retry_after_s()));
  }
  return r;
}

Response ToResponse(const StatusOr<Reply>& result) {
  if (!result.ok()) return ErrorResponse(result.status());
  Response r;
  r.status = result->status;
  if (result->body) r.body = SerializeJson(*result->body);
  return r;
}

Router::Router(std::string component, const SessionAuth* auth)
    : component_(std::move(component)), auth_(auth) {
  unmatched_metrics_index_ = metrics_.AddRoute("unmatched");
  // Served by Dispatch without JSON; this entry only reserves the route.
  Add(Verb::get, "/metrics", Access::kPublic,
      [](RequestPtr, Caller) -> Task<StatusOr<Reply>> { co_return Reply::NoContent(); });
}

void Router::Add(Verb method, std::string pattern, Access access, Handler handler) {
  if (access != Access::kPublic && auth_ == nullptr) {
    throw std::logic_error("route " + pattern + " needs sessions but the router has no auth");
  }
  size_t index = metrics_.AddRoute(VerbName(method) + " " + pattern);
  routes_.push_back({method, pattern, SplitPath(pattern), access, std::move(handler), index});
}

void Router::AddFile(const StaticFile& file) {
  files_.push_back(std::make_unique<StaticFile>(file));
  size_t index = metrics_.AddRoute("GET " + file.path);
  routes_.push_back({Verb::get, file.path, SplitPath(file.path), Access::kPublic, nullptr, index,
                     files_.back().get()});
}

Task<StatusOr<Reply>> Router::Run(const Route& route, RequestPtr request) const {
  if (route.access == Access::kPublic) {
    Caller nobody;
    co_return co_await route.handler(std::move(request), std::move(nobody));
  }
  MP_CO_ASSIGN_OR_RETURN(Caller caller, auth_->FromToken(*request));
  switch (route.access) {
    case Access::kToken:
      co_return co_await route.handler(std::move(request), std::move(caller));
    case Access::kSession: {
      MP_CO_ASSIGN_OR_RETURN(v1::SessionInfo live, co_await auth_->Check(caller.session));
      caller.user_id = live.user_id();
      co_return co_await route.handler(std::move(request), std::move(caller));
    }
    case Access::kSessionBeside: {
      const int64_t user_id = caller.user_id;
      auto [live, reply] =
          co_await WhenBoth(auth_->Check(caller.session), route.handler(request, caller));
      if (!live.ok()) co_return live.status();
      if (live->user_id() != user_id) {
        co_return Unauthenticated("the token does not match its session");
      }
      co_return std::move(reply);
    }
    case Access::kPublic:
      break;
  }
  co_return Internal("unknown access rule");
}

std::vector<std::string> Router::RouteNames() const {
  std::vector<std::string> names;
  for (const Route& r : routes_) {
    if (r.file == nullptr) names.push_back(VerbName(r.method) + " " + r.pattern);
  }
  return names;
}

const Router::Route* Router::Match(const Request& request,
                                   std::map<std::string, std::string>* params,
                                   std::string* allow) const {
  std::vector<std::string> segments = SplitPath(request.path);
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> found;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& want = route.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        if (segments[i].empty()) match = false;
        found[want.substr(1, want.size() - 2)] = segments[i];
      } else {
        match = want == segments[i];
      }
    }
    if (!match) continue;
    if (route.method == request.method) {
      *params = std::move(found);
      return &route;
    }
    if (!allow->empty()) *allow += ", ";
    *allow += VerbName(route.method);
  }
  return nullptr;
}

void Router::Dispatch(std::shared_ptr<Request> request, std::function<void(Response)> send) const {
  auto start = std::chrono::steady_clock::now();
  std::string allow;
  const Route* route = Match(*request, &request->path_params, &allow);
  size_t metrics_index = route ? route->metrics_index : unmatched_metrics_index_;
  auto finish = [this, request, start, metrics_index, send = std::move(send)](Response r) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_.Record(metrics_index, r.status, seconds);
    log::Info("rid={} {} {} {} {:.3f}ms", request->id, VerbName(request->method),
              Printable(request->path), r.status, seconds * 1e3);
    send(std::move(r));
  };
  if (route == nullptr) {
    if (allow.empty()) {
      finish(ErrorResponse(NotFound("no route for " + request->path)));
    } else {
      Response r = ErrorResponse(Status(StatusCode::kInvalidArgument,
                                        "method not allowed; use " + allow, kMethodNotAllowed));
      r.headers.emplace_back("Allow", allow);
      finish(std::move(r));
    }
    return;
  }
  if (route->file != nullptr) {
    finish(FileResponse(*route->file, *request));
    return;
  }
  if (route->pattern == "/metrics") {
    Response r;
    r.body = metrics_.Render(component_);
    r.content_type = "text/plain; version=0.0.4";
    finish(std::move(r));
    return;
  }
  if (!request->body.empty() && !IsJson(request->content_type)) {
    finish(
        ErrorResponse(UnsupportedMediaType("a request body must be JSON, sent with "
                                           "Content-Type: application/json")));
    return;
  }
  // Whatever the handler throws, at once or after awaiting, Start makes a
  // kInternal Status of it (logged), answered as 500.
  Start(Run(*route, std::move(request)),
        [finish = std::move(finish)](StatusOr<Reply> result) { finish(ToResponse(result)); });
}

}  // namespace mp::http
