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

#include <functional>
#include <memory>
#include <vector>

namespace grpc {
class Channel;
}

namespace mp::rpc {

// Asks the health service of every address at once, asynchronously; `done`
// gets OK when all serve, or the first failure. Thread-safe.
class HealthProbe {
 public:
  explicit HealthProbe(const std::vector<std::string>& addresses);
  void Check(std::function<void(Status)> done) const;

 private:
  std::vector<std::string> addresses_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

}  // namespace mp::rpc
