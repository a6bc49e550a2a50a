#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/request.h"

namespace mp::http {

// Parsing of the request target, shared by the server and the fuzz targets
// (fuzz/). Pure functions; thread-safe.

// Percent-decoding; with `plus_is_space` (query strings) '+' is a space.
// nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);

// Fills `request.path` and `request.query` from an origin-form target
// ("/v1/items?category=3&keywords=a,b"): both decoded, query keys without a
// name skipped, the last of repeated keys kept. False when malformed (not
// starting with '/', bad percent escapes, or anything not valid UTF-8).
bool ParseTarget(std::string_view target, Request& request);

// `text` for a log line: control bytes (a decoded %0A, ESC, ...) written as
// \xNN, so a request cannot start a forged line or move the terminal.
std::string Printable(std::string_view text);

}  // namespace mp::http
