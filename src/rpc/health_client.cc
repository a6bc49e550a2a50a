#include "rpc/health_client.h"

#include <grpcpp/grpcpp.h>

#include "common/status_mapping.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace mp::rpc {

Status CheckHealth(const std::string& address, const std::string& service,
                   std::chrono::milliseconds deadline) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return FromGrpc(status);
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return Unavailable(address + " is not serving");
  }
  return Status();
}

}  // namespace mp::rpc
