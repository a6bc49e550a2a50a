#pragma once

namespace grpc {
class CompletionQueue;
}  // namespace grpc

namespace mp::rpc {

// An operation that ends on the client queue: its address is the tag given
// to gRPC, and Done runs on the queue's thread once the operation ends.
class QueuedOp {
 public:
  virtual void Done(bool ok) = 0;

 protected:
  ~QueuedOp() = default;
};

// The completion queue on which every asynchronous client call of this
// process ends, with the one thread that waits on it and runs what each
// answer resumes. Started on first use; it lives until the process exits,
// so a client may go while calls of other clients are still ending.
//
// Why one queue and one thread, not gRPC's callback API: gRPC has a single
// poller at a time per process, handed between the threads that wait on
// any queue. The callback API waits with two threads of its own, and they
// took turns at every answer: ~2.7 thread wake-ups per answer in a
// frontend. With one waiting thread, the thread that reads the answer off
// the socket is the one that runs the code it resumes (docs/benchmark,
// "Client completion queue").
grpc::CompletionQueue* ClientQueue();

}  // namespace mp::rpc
