#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mp::client {

// Splits one shell line into words the way a POSIX shell would, without
// expansions: blanks separate words; '...' keeps everything literally;
// "..." keeps everything but lets a backslash escape " \ $ and `; outside
// quotes a backslash escapes any character; an unquoted '#' at the start of a
// word starts a comment. "" yields an empty word. Returns kInvalidArgument
// for an unterminated quote or a trailing backslash.
StatusOr<std::vector<std::string>> SplitLine(std::string_view line);

}  // namespace mp::client
