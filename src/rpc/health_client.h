#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/status.h"

namespace grpc {
class Channel;
class ChannelCredentials;
}  // namespace grpc

namespace mp::rpc {

// Asks the gRPC health service at `address` about `service` ("" = the whole
// server), over `credentials` (null: plaintext). OK when it answers
// SERVING; kUnavailable otherwise (or the refusal of a TLS server).
Status CheckHealth(const std::string& address, const std::string& service = "",
                   std::chrono::milliseconds deadline = std::chrono::milliseconds(1000),
                   std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

}  // namespace mp::rpc

#include <functional>
#include <vector>

namespace mp::rpc {

// Asks the health service of every address at once, asynchronously.
// Thread-safe.
class HealthProbe {
 public:
  // Every address must serve: `done` gets OK when all do, or the first
  // failure. `credentials` as for CheckHealth.
  explicit HealthProbe(const std::vector<std::string>& addresses,
                       std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);
  // Replicas: `services` holds, per service, the addresses of its replicas;
  // `done` gets OK when at least one replica of every service serves, else
  // kUnavailable naming the service's replicas and their errors.
  static HealthProbe AnyReplica(const std::vector<std::vector<std::string>>& services,
                                std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

  void Check(std::function<void(Status)> done) const;

 private:
  HealthProbe() = default;

  std::vector<std::string> addresses_;
  std::vector<size_t> group_of_;  // per address: its service
  size_t groups_ = 0;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
};

}  // namespace mp::rpc
