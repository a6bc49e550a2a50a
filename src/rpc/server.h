#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "rpc/message_size.h"
#include "rpc/queued_service.h"

namespace mp::rpc {

// A started gRPC server with the health checking service on.
// Health answers SERVING for "" and for every registered service name.
// The services' calls are served from completion queues, each polled by one
// thread of the server's own that reads a request, runs its handler (or
// hands it to the service's HandlerPool) and starts the reply.
class GrpcServer {
 public:
  // Listens on `listen` ("host:port"; port 0 picks a free one) with
  // `credentials` (rpc/tls_credentials.h; null: plaintext). kUnavailable
  // when the address cannot be bound. The services must outlive the server.
  // Messages past `max_message_bytes` either way fail their call with
  // RESOURCE_EXHAUSTED (rpc/message_size.h; tests lower it).
  // `polling_threads` completion queues, one thread each: one is the
  // fewest wake-ups per call (docs/benchmark/README.md, "The DB services on
  // completion queues"); more let inline handlers use more cores.
  static StatusOr<std::unique_ptr<GrpcServer>> Start(
      const std::string& listen, const std::vector<QueuedService*>& services,
      std::shared_ptr<grpc::ServerCredentials> credentials = nullptr,
      int max_message_bytes = kMaxMessageBytes, int polling_threads = 1);
  // The same on several addresses at once, each "host:port" or
  // "unix:/path" (rpc/tls_credentials.h: a Unix socket runs without TLS,
  // its file is made 0600, a stale file left by a killed server is
  // replaced, and a socket another server still answers on is not:
  // kUnavailable). REQUIRES: !listen.empty().
  static StatusOr<std::unique_ptr<GrpcServer>> StartOn(
      const std::vector<std::string>& listen, const std::vector<QueuedService*>& services,
      std::shared_ptr<grpc::ServerCredentials> credentials = nullptr,
      int max_message_bytes = kMaxMessageBytes, int polling_threads = 1);
  ~GrpcServer();

  // The port of the first "host:port" address; 0 when there is none.
  int port() const { return port_; }
  // Stops taking calls, lets calls in flight finish (up to a few seconds).
  void Shutdown();

 private:
  struct Queue {
    std::unique_ptr<grpc::ServerCompletionQueue> queue;
    QueueGate gate;
    std::thread poller;
  };
  static void Poll(grpc::ServerCompletionQueue* queue);

  std::unique_ptr<QueuedService> health_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::unique_ptr<Queue>> queues_;
  int port_ = 0;
};

// Blocks the calling thread until SIGINT or SIGTERM arrives. Constructing it
// also applies the process-wide settings every server wants (see
// ConfigureServerProcess).
// REQUIRES: constructed in main before other threads are started, so that
// the signals are blocked in every thread and delivered here.
class ShutdownSignal {
 public:
  ShutdownSignal();
  void Wait();

 private:
  sigset_t set_;
};

// Turns off absl's mutex deadlock detection, which Debian's absl leaves on:
// it kept a lock graph for every gRPC mutex and cost ~2.5% of the CPU per
// call in profiles of the DB services and frontends. Ignores SIGPIPE.
void ConfigureServerProcess();

}  // namespace mp::rpc
