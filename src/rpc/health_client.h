#pragma once

#include <chrono>
#include <string>

#include "common/status.h"

namespace mp::rpc {

// Asks the gRPC health service at `address` about `service` ("" = the whole
// server). OK when it answers SERVING; kUnavailable otherwise.
Status CheckHealth(const std::string& address, const std::string& service = "",
                   std::chrono::milliseconds deadline = std::chrono::milliseconds(1000));

}  // namespace mp::rpc
