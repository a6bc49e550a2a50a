#pragma once

#include <string>

#include "common/status.h"

namespace mp::launcher {

// GET http://<address><path>; OK on a 200 answer within a second.
Status CheckHttpHealth(const std::string& address, const std::string& path = "/healthz");

}  // namespace mp::launcher
