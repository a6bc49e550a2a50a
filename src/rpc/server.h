#pragma once

#include <grpcpp/grpcpp.h>

#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "rpc/message_size.h"

namespace mp::rpc {

// A started gRPC server with the health checking and reflection services on.
// Health answers SERVING for "" and for every registered service name.
class GrpcServer {
 public:
  // Listens on `listen` ("host:port"; port 0 picks a free one) with
  // `credentials` (rpc/tls_credentials.h; null: plaintext). kUnavailable
  // when the address cannot be bound. The services must outlive the server.
  // Messages past `max_message_bytes` either way fail their call with
  // RESOURCE_EXHAUSTED (rpc/message_size.h; tests lower it).
  static StatusOr<std::unique_ptr<GrpcServer>> Start(
      const std::string& listen, const std::vector<grpc::Service*>& services,
      std::shared_ptr<grpc::ServerCredentials> credentials = nullptr,
      int max_message_bytes = kMaxMessageBytes);
  ~GrpcServer();

  int port() const { return port_; }
  // Stops taking calls, lets calls in flight finish (up to a few seconds).
  void Shutdown();

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// Runs request handlers of callback services. With threads > 0, on a fixed
// pool, so that a handler waiting on its database never holds one of gRPC's
// own threads; with 0, inline on gRPC's callback thread, which saves a
// thread hand-off per call (the right choice when the database answers in
// microseconds, as an embedded SQLite does). Thread-safe.
class HandlerPool {
 public:
  explicit HandlerPool(int threads);
  ~HandlerPool();

  // Runs `fn` and finishes the call with its Status. A call whose client
  // already gave up is finished without running `fn`. An exception escaping
  // `fn` is logged and becomes kInternal.
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, std::string_view method,
                                std::function<Status()> fn);

 private:
  static void Execute(grpc::ServerUnaryReactor* reactor, grpc::CallbackServerContext* context,
                      std::string_view method, const std::function<Status()>& fn);

  std::unique_ptr<boost::asio::thread_pool> pool_;  // null: inline
};

// What a caller of `method` may see of `status`: an internal error is
// logged here and becomes a bare kInternal; anything else is unchanged.
Status ForCaller(std::string_view method, Status status);

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
