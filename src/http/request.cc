#include "http/request.h"

namespace mp::http {

StatusOr<boost::json::object> Request::JsonBody() const {
  if (body.empty()) return InvalidArgument("body", "a JSON object is required");
  boost::system::error_code ec;
  // Bounded depth: a hostile body cannot recurse the parser into the stack.
  boost::json::parse_options options;
  options.max_depth = 16;
  boost::json::value value = boost::json::parse(body, ec, {}, options);
  if (ec) return InvalidArgument("body", "malformed JSON: " + ec.message());
  if (!value.is_object()) return InvalidArgument("body", "must be a JSON object");
  return std::move(value.as_object());
}

const std::string* Request::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? nullptr : &it->second;
}

const std::string& Request::Param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = path_params.find(name);
  return it == path_params.end() ? kEmpty : it->second;
}

}  // namespace mp::http
