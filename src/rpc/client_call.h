#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <utility>

#include "common/status.h"
#include "common/status_mapping.h"
#include "common/task.h"
#include "rpc/channel_pool.h"
#include "rpc/client_queue.h"
#include "rpc/tag_handoff.h"

namespace mp::rpc {

template <typename Response>
using Callback = std::function<void(StatusOr<Response>)>;

// The awaitable form of a call (common/task.h): `co_await client.AsyncX(r)`
// gives its StatusOr and resumes the awaiting coroutine on the client
// queue's thread, which got the answer.
template <typename Response>
using Pending = CallbackAwaiter<StatusOr<Response>, std::function<void(Callback<Response>)>>;

// Every call of a client made with MP_DEFINE_RPC goes to pool.Next() and,
// when it fails because that channel could not connect (ChannelPool::
// RetryChannel: the request cannot have reached a server), is repeated once
// on a channel of another replica within the same deadline. A call that may
// have reached a server is never repeated, so a write is applied at most
// once; its caller gets kUnavailable or kDeadlineExceeded.

// State of one asynchronous unary call (and its one possible retry), alive
// until its callback has run. It ends on the client queue
// (rpc/client_queue.h).
template <typename Request, typename Response>
class AsyncCall final : QueuedOp {
 public:
  using Reader = grpc::ClientAsyncResponseReader<Response>;
  // Prepares one attempt on channel `channel`, to end on `queue`.
  using Invoke = std::function<std::unique_ptr<Reader>(
      size_t channel, grpc::ClientContext*, const Request&, grpc::CompletionQueue* queue)>;

  // Starts the call; `done` runs once, on the client queue's thread.
  // REQUIRES: `pool` and what `invoke` uses outlive the call (until `done`
  // has run).
  static void Start(const ChannelPool& pool, std::chrono::milliseconds deadline,
                    const Request& request, Callback<Response> done, Invoke invoke) {
    auto* call =
        new AsyncCall(pool, ClientQueue(), deadline, request, std::move(done), std::move(invoke));
    call->Attempt(pool.Next());
  }

 private:
  AsyncCall(const ChannelPool& pool, grpc::CompletionQueue* queue,
            std::chrono::milliseconds deadline, const Request& request, Callback<Response> done,
            Invoke invoke)
      : pool_(pool),
        queue_(queue),
        deadline_(std::chrono::system_clock::now() + deadline),
        request_(request),
        done_(std::move(done)),
        invoke_(std::move(invoke)) {}

  void Attempt(size_t channel) {
    channel_ = channel;
    // The reader lives in the call the context holds: it goes first.
    reader_.reset();
    context_.emplace();
    context_->set_deadline(deadline_);
    response_.Clear();
    reader_ = invoke_(channel, &*context_, request_, queue_);
    reader_->StartCall();
    // Read before the hand-over: the queue thread may free `this` at once.
    Reader* reader = reader_.get();
    HandOverTag(static_cast<QueuedOp*>(this));
    reader->Finish(&response_, &status_, static_cast<QueuedOp*>(this));
  }

  // Called once per attempt, when it has ended (`ok` is always true for a
  // unary call's Finish). Nothing touches `this` after starting the retry.
  void Done(bool /*ok*/) override {
    grpc::Status status = std::move(status_);
    if (!status.ok() && !retried_) {
      if (std::optional<size_t> other = pool_.RetryChannel(channel_, status)) {
        retried_ = true;
        return Attempt(*other);
      }
    }
    Finish(status);
  }

  // Deletes the call, then runs `done`. The context holds a reference to the
  // channel: it must be gone before the caller hears back, so that a caller
  // may then destroy the client.
  void Finish(const grpc::Status& status) {
    Callback<Response> callback = std::move(done_);
    StatusOr<Response> result = status.ok() ? StatusOr<Response>(std::move(response_))
                                            : StatusOr<Response>(FromGrpc(status));
    delete this;
    callback(std::move(result));
  }

  const ChannelPool& pool_;
  grpc::CompletionQueue* const queue_;
  const std::chrono::system_clock::time_point deadline_;
  std::optional<grpc::ClientContext> context_;
  std::unique_ptr<Reader> reader_;
  Request request_;
  Response response_;
  grpc::Status status_;
  Callback<Response> done_;
  Invoke invoke_;
  size_t channel_ = 0;
  bool retried_ = false;
};

// The blocking form of the same: `invoke(channel, context, response)` makes
// one attempt and returns its gRPC status.
template <typename Response, typename Invoke>
StatusOr<Response> BlockingCall(const ChannelPool& pool, std::chrono::milliseconds deadline,
                                Invoke invoke) {
  const auto deadline_at = std::chrono::system_clock::now() + deadline;
  size_t channel = pool.Next();
  for (bool retried = false;; retried = true) {
    grpc::ClientContext context;
    context.set_deadline(deadline_at);
    Response response;
    grpc::Status status = invoke(channel, &context, &response);
    if (status.ok()) return response;
    std::optional<size_t> other;
    if (!retried) other = pool.RetryChannel(channel, status);
    if (!other) return FromGrpc(status);
    channel = *other;
  }
}

// The blocking form of a call that has only an asynchronous path (a read
// that travels batched): starts it with `start(done)` and waits for `done`.
// Must not be called on the client queue's thread, which runs `done`.
template <typename Response, typename Start>
StatusOr<Response> AwaitCallback(Start start) {
  std::promise<StatusOr<Response>> answer;
  std::future<StatusOr<Response>> future = answer.get_future();
  start([&answer](StatusOr<Response> result) { answer.set_value(std::move(result)); });
  return future.get();
}

}  // namespace mp::rpc

// Defines the asynchronous and the blocking form of one RPC of a client
// whose members are `pool_`, `stubs_` (one per pool channel) and `options_`
// (see customer_db_client.h), with the failover described above.
#define MP_DEFINE_RPC(Client, Method, Request, Response) \
  MP_DEFINE_ASYNC_RPC(Client, Method, Request, Response) \
  MP_DEFINE_BLOCKING_RPC(Client, Method, Request, Response)

#define MP_DEFINE_ASYNC_RPC(Client, Method, Request, Response)                            \
  void Client::Method(const Request& request, ::mp::rpc::Callback<Response> done) const { \
    ::mp::rpc::AsyncCall<Request, Response>::Start(                                       \
        pool_, options_.deadline, request, std::move(done),                               \
        [this](size_t channel, grpc::ClientContext* context, const Request& req,          \
               grpc::CompletionQueue* queue) {                                            \
          return stubs_[channel]->PrepareAsync##Method(context, req, queue);              \
        });                                                                               \
  }

#define MP_DEFINE_BLOCKING_RPC(Client, Method, Request, Response)                            \
  ::mp::StatusOr<Response> Client::Method(const Request& request) const {                    \
    return ::mp::rpc::BlockingCall<Response>(                                                \
        pool_, options_.deadline,                                                            \
        [this, &request](size_t channel, grpc::ClientContext* context, Response* response) { \
          return stubs_[channel]->Method(context, request, response);                        \
        });                                                                                  \
  }

// Declares the three forms of one RPC inside a client class: the callback
// one runs `done` on the client queue's thread (rpc/client_queue.h) once
// the answer (or error) arrives, and must not block there: that thread
// ends every call of the process; Async<Method> is the same awaited by a coroutine,
// which then goes on on that thread; the blocking one waits for the
// answer. All fail over between replicas as described above. A client may
// be destroyed once its asynchronous calls have ended, not before.
#define MP_DECLARE_RPC(Method, Request, Response)                                          \
  void Method(const Request& request, ::mp::rpc::Callback<Response> done) const;           \
  ::mp::StatusOr<Response> Method(const Request& request) const;                           \
  ::mp::rpc::Pending<Response> Async##Method(Request request) const {                      \
    return ::mp::rpc::Pending<Response>(                                                   \
        [this, request = std::move(request)](::mp::rpc::Callback<Response> done) mutable { \
          Method(request, std::move(done));                                                \
        });                                                                                \
  }
