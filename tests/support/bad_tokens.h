#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mp::testing {

// Authorization header values that a server must refuse with 401, each with a
// name for test traces, built from `token`, a valid HS256 token of a live
// session: no header, garbage, another scheme, a tampered signature, a
// payload naming another user under the old signature, header
// {"alg":"none"} with an empty signature, the same claims signed with
// another key. All but the first two name the live session, so a server that
// skipped a check would let the request in. "" means no header.
std::vector<std::pair<std::string, std::string>> BadAuthorizations(const std::string& token);

}  // namespace mp::testing
