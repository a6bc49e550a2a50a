#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <utility>

#include "common/status.h"
#include "common/status_mapping.h"

namespace mp::rpc {

template <typename Response>
using Callback = std::function<void(StatusOr<Response>)>;

// State of one asynchronous unary call, alive until its callback has run.
template <typename Request, typename Response>
struct AsyncCall {
  AsyncCall(const Request& req, std::chrono::milliseconds deadline, Callback<Response> cb)
      : request(req), done(std::move(cb)) {
    context.set_deadline(std::chrono::system_clock::now() + deadline);
  }

  // Called once by gRPC; deletes the call, then runs `done`. The context
  // holds a reference to the channel: it must be gone before the caller
  // hears back, or a caller that then destroys the client leaves the last
  // reference to this gRPC thread, whose shutdown of its own completion
  // queue aborts the process.
  void Finish(const grpc::Status& status) {
    Callback<Response> callback = std::move(done);
    StatusOr<Response> result = status.ok() ? StatusOr<Response>(std::move(response))
                                            : StatusOr<Response>(FromGrpc(status));
    delete this;
    callback(std::move(result));
  }

  grpc::ClientContext context;
  Request request;
  Response response;
  Callback<Response> done;
};

}  // namespace mp::rpc

// Defines the asynchronous and the blocking form of one RPC of a client
// whose members are `pool_`, `stubs_` and `options_` (see customer_db_client.h).
#define MP_DEFINE_RPC(Client, Method, Request, Response)                                   \
  void Client::Method(const Request& request, ::mp::rpc::Callback<Response> done) const { \
    auto* call = new ::mp::rpc::AsyncCall<Request, Response>(request, options_.deadline,  \
                                                             std::move(done));            \
    stubs_[pool_.Next()]->async()->Method(&call->context, &call->request, &call->response, \
                                          [call](grpc::Status s) { call->Finish(s); });    \
  }                                                                                        \
  ::mp::StatusOr<Response> Client::Method(const Request& request) const {                 \
    grpc::ClientContext context;                                                           \
    context.set_deadline(std::chrono::system_clock::now() + options_.deadline);            \
    Response response;                                                                     \
    grpc::Status status = stubs_[pool_.Next()]->Method(&context, request, &response);      \
    if (!status.ok()) return ::mp::FromGrpc(status);                                       \
    return response;                                                                       \
  }

// Declares the two forms of one RPC inside a client class: the asynchronous
// one runs `done` on a gRPC thread once the answer (or error) arrives, and
// must not block there; the blocking one waits for the answer. A client may
// be destroyed once the callbacks of its asynchronous calls have run, not
// before.
#define MP_DECLARE_RPC(Method, Request, Response)                           \
  void Method(const Request& request, ::mp::rpc::Callback<Response> done) const; \
  ::mp::StatusOr<Response> Method(const Request& request) const;
