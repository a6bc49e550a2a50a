#pragma once

#include <string>

#include "common/status.h"

namespace mp::launcher {

// GET http://<address>/healthz; OK on a 200 answer within a second.
Status CheckHttpHealth(const std::string& address);

}  // namespace mp::launcher
