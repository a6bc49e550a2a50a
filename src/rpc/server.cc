#include "rpc/server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string_view>

#include "common/log.h"
#include "common/status_mapping.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "rpc/tls_credentials.h"

namespace mp::rpc {
namespace {

// grpc.health.v1.Health's Check on the completion queues: SERVING for ""
// and for each service's name, NOT_FOUND for any other. gRPC's own health
// service is a callback one, and the threads gRPC starts for callbacks take
// turns polling with the queues' threads: two more wake-ups per call
// (docs/benchmark/README.md, "The DB services on completion queues").
// Watch is not served.
class HealthService final : public UnaryService<grpc::health::v1::Health> {
 public:
  explicit HealthService(std::vector<std::string> names) : names_(std::move(names)) {
    Serve(&Async::RequestCheck, "Check", inline_,
          [this](const grpc::health::v1::HealthCheckRequest* req,
                 grpc::health::v1::HealthCheckResponse* resp) {
            if (!req->service().empty() &&
                std::find(names_.begin(), names_.end(), req->service()) == names_.end()) {
              return NotFound("unknown service");
            }
            resp->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
            return Status();
          });
  }

 private:
  const std::vector<std::string> names_;
  HandlerPool inline_{0};
};

// The file of a "unix:/path" address.
std::string SocketPath(const std::string& address) {
  std::string path = address.substr(std::string_view("unix:").size());
  // gRPC also reads "unix:///path".
  if (path.starts_with("//")) path.erase(0, 2);
  return path;
}

// Whether a server answers on the socket file of `address`. gRPC unlinks an
// existing socket file before it binds (so that the file a server killed
// with SIGKILL left behind is no obstacle), and would so take a live
// server's address from it without a word.
bool SocketIsLive(const std::string& address) {
  std::error_code error;
  std::filesystem::path path = SocketPath(address);
  if (!std::filesystem::is_socket(path, error)) return false;
  sockaddr_un peer{};
  if (path.native().size() >= sizeof(peer.sun_path)) return false;  // bind() will say so
  peer.sun_family = AF_UNIX;
  std::copy(path.native().begin(), path.native().end(), peer.sun_path);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof(peer)) == 0;
  ::close(fd);
  return live;
}

}  // namespace

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const std::string& listen, const std::vector<QueuedService*>& services,
    std::shared_ptr<grpc::ServerCredentials> credentials, int max_message_bytes,
    int polling_threads) {
  return StartOn(std::vector<std::string>{listen}, services, std::move(credentials),
                 max_message_bytes, polling_threads);
}

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::StartOn(
    const std::vector<std::string>& listen, const std::vector<QueuedService*>& services,
    std::shared_ptr<grpc::ServerCredentials> credentials, int max_message_bytes,
    int polling_threads) {
  grpc::EnableDefaultHealthCheckService(false);
  // No reflection service: it is a synchronous one, and the threads gRPC
  // starts for synchronous services take turns polling with the queues'
  // threads, which cost two more wake-ups per call (docs/benchmark/README.md,
  // "The DB services on completion queues"). grpcurl takes the proto/ files.
  grpc::ServerBuilder builder;
  auto server = std::unique_ptr<GrpcServer>(new GrpcServer());
  std::vector<std::string> names;
  for (QueuedService* service : services) names.emplace_back(service->name());
  server->health_ = std::make_unique<HealthService>(std::move(names));
  std::vector<QueuedService*> all = services;
  all.push_back(server->health_.get());
  // One selected port per address: gRPC reports 0 for one it could not bind.
  std::vector<int> ports(listen.size(), 0);
  for (size_t i = 0; i < listen.size(); ++i) {
    if (IsUnixAddress(listen[i]) && SocketIsLive(listen[i])) {
      return Unavailable("cannot listen on " + listen[i] + ": another server answers there");
    }
    builder.AddListeningPort(listen[i], ServerCredentialsFor(listen[i], credentials), &ports[i]);
  }
  for (QueuedService* service : all) builder.RegisterService(service->service());
  // Both ways, as the clients' channels (rpc/message_size.h): a reply past
  // the limit fails here, where it is built, instead of at the client.
  builder.SetMaxReceiveMessageSize(max_message_bytes);
  builder.SetMaxSendMessageSize(max_message_bytes);
  for (int i = 0; i < std::max(polling_threads, 1); ++i) {
    auto queue = std::make_unique<Queue>();
    queue->queue = builder.AddCompletionQueue();
    server->queues_.push_back(std::move(queue));
  }
  server->server_ = builder.BuildAndStart();
  std::string unbound;
  for (size_t i = 0; i < listen.size(); ++i) {
    if (ports[i] == 0) {
      unbound = listen[i];
      break;
    }
    if (IsUnixAddress(listen[i])) {
      // Who may connect to a Unix socket is decided by its file's mode.
      std::error_code error;
      std::filesystem::permissions(
          SocketPath(listen[i]),
          std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, error);
      if (error) unbound = listen[i] + " (" + error.message() + ")";
    } else if (server->port_ == 0) {
      server->port_ = ports[i];
    }
  }
  if (!server->server_ || !unbound.empty()) {
    // Built or not, the queues must be shut down and drained before they go.
    server->server_.reset();
    for (auto& queue : server->queues_) {
      queue->queue->Shutdown();
      Poll(queue->queue.get());
    }
    server->queues_.clear();
    return Unavailable("cannot listen on " + (unbound.empty() ? listen[0] : unbound));
  }
  for (auto& queue : server->queues_) {
    for (QueuedService* service : all) service->Arm(queue->queue.get(), &queue->gate);
    queue->poller = std::thread(Poll, queue->queue.get());
  }
  return server;
}

void GrpcServer::Poll(grpc::ServerCompletionQueue* queue) {
  void* tag = nullptr;
  bool ok = false;
  while (queue->Next(&tag, &ok)) {
    TakeBackTag(tag);
    static_cast<QueueTag*>(tag)->Proceed(ok);
  }
}

GrpcServer::~GrpcServer() { Shutdown(); }

void GrpcServer::Shutdown() {
  if (!server_) return;
  // The order gRPC needs: the server first (calls waiting for a request
  // come back not ok, calls in flight get until the deadline), then, once
  // no handler can start an operation any more, each queue, drained to
  // the end so that every call object is deleted.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(3));
  for (auto& queue : queues_) queue->gate.Close();
  for (auto& queue : queues_) {
    queue->queue->Shutdown();
    queue->poller.join();
  }
  server_->Wait();
  server_.reset();
  queues_.clear();
}

void ConfigureServerProcess() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // A peer gone mid-write must cost that connection an error, not the
  // process: TLS writes (gSOAP's over OpenSSL) cannot pass MSG_NOSIGNAL.
  ::signal(SIGPIPE, SIG_IGN);
}

ShutdownSignal::ShutdownSignal() {
  ConfigureServerProcess();
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

void ShutdownSignal::Wait() {
  int signal = 0;
  sigwait(&set_, &signal);
  log::Info("received signal {}, shutting down", signal);
}

}  // namespace mp::rpc
