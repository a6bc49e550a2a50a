#include "rpc/server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <boost/asio/post.hpp>
#include <chrono>

#include "common/log.h"
#include "common/status_mapping.h"

namespace mp::rpc {

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const std::string& listen, const std::vector<grpc::Service*>& services,
    std::shared_ptr<grpc::ServerCredentials> credentials, int max_message_bytes) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  auto server = std::unique_ptr<GrpcServer>(new GrpcServer());
  if (!credentials) credentials = grpc::InsecureServerCredentials();
  builder.AddListeningPort(listen, credentials, &server->port_);
  for (grpc::Service* service : services) builder.RegisterService(service);
  // Both ways, as the clients' channels (rpc/message_size.h): a reply past
  // the limit fails here, where it is built, instead of at the client.
  builder.SetMaxReceiveMessageSize(max_message_bytes);
  builder.SetMaxSendMessageSize(max_message_bytes);
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return Unavailable("cannot listen on " + listen);
  }
  return server;
}

GrpcServer::~GrpcServer() { Shutdown(); }

void GrpcServer::Shutdown() {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(3));
  server_->Wait();
  server_.reset();
}

HandlerPool::HandlerPool(int threads) {
  if (threads > 0) pool_ = std::make_unique<boost::asio::thread_pool>(threads);
}

HandlerPool::~HandlerPool() {
  if (pool_) pool_->join();
}

grpc::ServerUnaryReactor* HandlerPool::Run(grpc::CallbackServerContext* context,
                                           std::string_view method, std::function<Status()> fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!pool_) {
    Execute(reactor, context, method, fn);
    return reactor;
  }
  boost::asio::post(*pool_, [reactor, context, method, fn = std::move(fn)] {
    Execute(reactor, context, method, fn);
  });
  return reactor;
}

void HandlerPool::Execute(grpc::ServerUnaryReactor* reactor, grpc::CallbackServerContext* context,
                          std::string_view method, const std::function<Status()>& fn) {
  if (context->IsCancelled()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "client gave up"));
    return;
  }
  Status status;
  try {
    status = fn();
  } catch (const std::exception& e) {
    log::Error("{}: unexpected exception: {}", method, e.what());
    status = Internal("internal error");
  }
  reactor->Finish(ToGrpc(ForCaller(method, std::move(status))));
}

Status ForCaller(std::string_view method, Status status) {
  if (status.code() == StatusCode::kInternal) {
    // Logged here, where it is handled; callers get no internals.
    log::Error("{}: {}", method, status.message());
    return Internal("internal error");
  }
  if (log::DebugEnabled()) log::Debug("{} -> {}", method, status.ToString());
  return status;
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
