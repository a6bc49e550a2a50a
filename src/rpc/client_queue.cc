#include "rpc/client_queue.h"

#include <grpcpp/completion_queue.h>

#include <thread>

#include "rpc/tag_handoff.h"

namespace mp::rpc {

grpc::CompletionQueue* ClientQueue() {
  // Never shut down nor freed: its thread waits on it until the process
  // exits.
  static grpc::CompletionQueue* const queue = [] {
    auto* q = new grpc::CompletionQueue();
    std::thread([q] {
      void* tag = nullptr;
      bool ok = false;
      while (q->Next(&tag, &ok)) {
        TakeBackTag(tag);
        static_cast<QueuedOp*>(tag)->Done(ok);
      }
    }).detach();
    return q;
  }();
  return queue;
}

}  // namespace mp::rpc
