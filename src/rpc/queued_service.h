#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/call_deadline.h"
#include "common/status.h"
#include "common/status_mapping.h"
#include "rpc/tag_handoff.h"

namespace mp::rpc {

class HandlerPool;

// What a completion queue hands back: every event of a call comes back to
// its call object, which decides what is next. `ok` is gRPC's: false when
// the operation could not complete (the server stops, the call is gone).
class QueueTag {
 public:
  virtual ~QueueTag() = default;
  virtual void Proceed(bool ok) = 0;
};

// The calls under way on one completion queue, so that the queue is shut
// down only once no call can start an operation on it any more (gRPC aborts
// on an operation started on a queue that was shut down).
class QueueGate {
 public:
  // False once closed: the caller must start nothing on the queue.
  bool Enter() {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    ++inside_;
    return true;
  }
  void Leave() {
    std::lock_guard lock(mu_);
    if (--inside_ == 0) idle_.notify_all();
  }
  // Waits until nobody is inside, then lets nobody in.
  void Close() {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [&] { return inside_ == 0; });
    closed_ = true;
  }

 private:
  std::mutex mu_;
  std::condition_variable idle_;
  int inside_ = 0;
  bool closed_ = false;
};

// A gRPC service whose unary methods are served from the server's
// completion queues by the threads that poll them (GrpcServer): the thread
// that reads a request runs its handler and starts the reply, so a call
// costs one thread wake-up where gRPC's callback API, which hands polling
// between its own threads on every event, cost four to five (measured:
// docs/benchmark/README.md, "The DB services on completion queues").
class QueuedService {
 public:
  virtual ~QueuedService() = default;
  virtual grpc::Service* service() = 0;
  // The service's full name ("mp.v1.ProductDb"), which health checks take.
  virtual std::string_view name() const = 0;
  // Requests the first call of every method on `queue`; once per queue.
  virtual void Arm(grpc::ServerCompletionQueue* queue, QueueGate* gate) = 0;
};

// Runs request handlers: with threads > 0 on a fixed pool, so that a
// handler waiting on its database (PostgreSQL, a password hash) does not
// hold a thread that polls gRPC; with 0 inline on the polling thread, which
// saves a hand-off per call (the right choice when the database answers in
// microseconds, as an embedded SQLite does). Thread-safe.
class HandlerPool {
 public:
  explicit HandlerPool(int threads);
  ~HandlerPool();
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  void Run(std::function<void()> job);

 private:
  struct Threads;
  std::unique_ptr<Threads> threads_;  // null: inline
};

// What a caller of `method` may see of `status`: an internal error is
// logged here and becomes a bare kInternal; anything else is unchanged.
Status ForCaller(std::string_view method, Status status);

// Runs `handler`, turning an exception into kInternal (logged), and the
// result into what the caller may see (ForCaller).
Status RunHandler(std::string_view method, const std::function<Status()>& handler);

// The unary methods of one generated service (`Grpc` is its outer class,
// as v1::ProductDb), each bound to a handler
// `Status (const Request*, Response*)` and the pool it runs on. A service
// derives from it and calls Serve once per method in its constructor.
template <class Grpc>
class UnaryService : public QueuedService {
 public:
  using Async = typename Grpc::AsyncService;
  grpc::Service* service() override { return &async_; }
  std::string_view name() const override { return Grpc::service_full_name(); }
  void Arm(grpc::ServerCompletionQueue* queue, QueueGate* gate) override {
    for (auto& method : methods_) method->Arm(queue, gate);
  }

 protected:
  // `request` is the generated Request<Method> member of Async.
  template <class Owner, class Request, class Response>
  void Serve(void (Owner::*request)(grpc::ServerContext*, Request*,
                                    grpc::ServerAsyncResponseWriter<Response>*,
                                    grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*),
             std::string_view name, HandlerPool& pool,
             std::type_identity_t<std::function<Status(const Request*, Response*)>> handler) {
    methods_.push_back(std::make_unique<Method<Request, Response>>(
        &async_, static_cast<RequestFn<Request, Response>>(request), name, pool,
        std::move(handler)));
  }

 private:
  template <class Request, class Response>
  using RequestFn = void (Async::*)(grpc::ServerContext*, Request*,
                                    grpc::ServerAsyncResponseWriter<Response>*,
                                    grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*);

  struct MethodBase {
    virtual ~MethodBase() = default;
    virtual void Arm(grpc::ServerCompletionQueue* queue, QueueGate* gate) = 0;
  };

  template <class Request, class Response>
  struct Method final : MethodBase {
    Method(Async* async, RequestFn<Request, Response> request, std::string_view name,
           HandlerPool& pool, std::function<Status(const Request*, Response*)> handler)
        : async(async), request(request), name(name), pool(pool), handler(std::move(handler)) {}
    void Arm(grpc::ServerCompletionQueue* queue, QueueGate* gate) override {
      new Call<Request, Response>(*this, queue, gate);
    }

    Async* async;
    RequestFn<Request, Response> request;
    std::string_view name;
    HandlerPool& pool;
    std::function<Status(const Request*, Response*)> handler;
  };

  // One call: waits for a request, runs the handler, sends the reply, then
  // deletes itself. Each waiting call has the next one requested as soon as
  // it is matched, so every method always has one waiting per queue.
  template <class Request, class Response>
  class Call final : public QueueTag {
   public:
    Call(Method<Request, Response>& method, grpc::ServerCompletionQueue* queue, QueueGate* gate)
        : method_(method), queue_(queue), gate_(gate) {
      // Read before the hand-over: the queue thread may free `this` at once.
      Async* async = method_.async;
      RequestFn<Request, Response> request = method_.request;
      HandOverTag(static_cast<QueueTag*>(this));
      (async->*request)(&context_, &request_, &writer_, queue, queue, this);
    }

    void Proceed(bool ok) override {
      if (replied_ || !ok || !gate_->Enter()) {
        delete this;
        return;
      }
      replied_ = true;
      method_.Arm(queue_, gate_);
      method_.pool.Run([this] {
        Status status;
        if (context_.deadline() < std::chrono::system_clock::now()) {
          status = Status(StatusCode::kDeadlineExceeded,
                          "the caller's deadline passed before the call was run");
        } else {
          ScopedCallDeadline deadline(context_.deadline());
          status =
              RunHandler(method_.name, [this] { return method_.handler(&request_, &response_); });
        }
        QueueGate* gate = gate_;  // `this` may be gone once the reply is started
        SendReplyToGrpc(status);
        gate->Leave();
      });
    }

   private:
    // Hands the reply and the tag to gRPC. gRPC's inline code in Finish
    // goes on writing the call's context and serializing the reply after
    // the hand-over is marked (it cannot be marked later: the queue thread
    // may free the call at once); gRPC orders that with the queue thread,
    // out of TSan's sight. scripts/tsan.supp names this function for that,
    // so nothing but the hand-over may run in it.
    [[gnu::noinline]] void SendReplyToGrpc(const Status& status) {
      HandOverTag(static_cast<QueueTag*>(this));
      if (status.ok()) {
        writer_.Finish(response_, grpc::Status::OK, this);
      } else {
        writer_.FinishWithError(ToGrpc(status), this);
      }
    }

    Method<Request, Response>& method_;
    grpc::ServerCompletionQueue* queue_;
    QueueGate* gate_;
    grpc::ServerContext context_;
    Request request_;
    Response response_;
    grpc::ServerAsyncResponseWriter<Response> writer_{&context_};
    bool replied_ = false;
  };

  Async async_;
  std::vector<std::unique_ptr<MethodBase>> methods_;
};

}  // namespace mp::rpc
