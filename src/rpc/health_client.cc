#include "rpc/health_client.h"

#include <grpcpp/grpcpp.h>

#include <mutex>
#include <string>
#include <vector>

#include "common/status_mapping.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "rpc/client_queue.h"
#include "rpc/message_size.h"
#include "rpc/tag_handoff.h"
#include "rpc/tls_credentials.h"

namespace mp::rpc {

namespace {

// Over `credentials` (null: plaintext), or local ones to a Unix socket.
// Health answers are tiny, but every channel carries the same explicit
// limits (rpc/message_size.h), so that no end runs on gRPC's defaults.
std::shared_ptr<grpc::Channel> HealthChannel(
    const std::string& address, const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  return grpc::CreateCustomChannel(address, CredentialsFor(address, credentials), args);
}

}  // namespace

Status CheckHealth(const std::string& address, const std::string& service,
                   std::chrono::milliseconds deadline,
                   std::shared_ptr<grpc::ChannelCredentials> credentials) {
  auto channel = HealthChannel(address, credentials);
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

namespace mp::rpc {

HealthProbe::HealthProbe(const std::vector<std::string>& addresses,
                         std::shared_ptr<grpc::ChannelCredentials> credentials)
    : addresses_(addresses) {
  for (const std::string& a : addresses) {
    group_of_.push_back(groups_++);
    channels_.push_back(HealthChannel(a, credentials));
  }
}

HealthProbe HealthProbe::AnyReplica(const std::vector<std::vector<std::string>>& services,
                                    std::shared_ptr<grpc::ChannelCredentials> credentials) {
  HealthProbe probe;
  for (const std::vector<std::string>& replicas : services) {
    for (const std::string& a : replicas) {
      probe.addresses_.push_back(a);
      probe.group_of_.push_back(probe.groups_);
      probe.channels_.push_back(HealthChannel(a, credentials));
    }
    ++probe.groups_;
  }
  return probe;
}

namespace {

struct State {
  std::mutex mu;
  size_t left;
  std::vector<bool> serving;        // per group: some replica serves
  std::vector<std::string> errors;  // per group: what its replicas said
  std::function<void(Status)> done;
};

// Counts one replica's answer; the last one runs `done`.
void Count(State& state, const std::string& address, size_t group, const Status& status) {
  std::function<void(Status)> finish;
  Status result;
  {
    std::lock_guard lock(state.mu);
    if (status.ok()) {
      state.serving[group] = true;
    } else {
      std::string& errors = state.errors[group];
      errors += (errors.empty() ? "" : "; ") + address + ": " + status.message();
    }
    if (--state.left == 0) {
      finish = std::move(state.done);
      for (size_t g = 0; g < state.serving.size(); ++g) {
        if (!state.serving[g]) {
          result = Unavailable(state.errors[g]);
          break;
        }
      }
    }
  }
  if (finish) finish(result);
}

}  // namespace

void HealthProbe::Check(std::function<void(Status)> done) const {
  auto state = std::make_shared<State>();
  state->left = channels_.size();
  state->serving.assign(groups_, false);
  state->errors.assign(groups_, "");
  state->done = std::move(done);
  if (channels_.empty()) return state->done(Status());
  for (size_t i = 0; i < channels_.size(); ++i) {
    // Frees itself once its answer has been counted.
    struct Call final : QueuedOp {
      grpc::ClientContext context;
      grpc::health::v1::HealthCheckRequest request;
      grpc::health::v1::HealthCheckResponse response;
      grpc::Status status;
      std::unique_ptr<grpc::health::v1::Health::Stub> stub;
      std::unique_ptr<grpc::ClientAsyncResponseReader<grpc::health::v1::HealthCheckResponse>>
          reader;
      std::shared_ptr<State> state;
      std::string address;
      size_t group = 0;

      void Done(bool /*ok*/) override {
        Status result = FromGrpc(status);
        if (result.ok() && response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
          result = Unavailable(address + " is not serving");
        }
        std::shared_ptr<State> s = std::move(state);
        std::string a = std::move(address);
        size_t g = group;
        reader.reset();
        delete this;
        Count(*s, a, g, result);
      }
    };
    auto* call = new Call;
    call->stub = grpc::health::v1::Health::NewStub(channels_[i]);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    call->state = state;
    call->address = addresses_[i];
    call->group = group_of_[i];
    call->reader = call->stub->PrepareAsyncCheck(&call->context, call->request, ClientQueue());
    call->reader->StartCall();
    auto* reader = call->reader.get();  // read first: the queue thread frees `call`
    HandOverTag(static_cast<QueuedOp*>(call));
    reader->Finish(&call->response, &call->status, static_cast<QueuedOp*>(call));
  }
}

}  // namespace mp::rpc
