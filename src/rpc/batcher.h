#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "common/status.h"
#include "rpc/client_call.h"

namespace mp::rpc {

// Gathers the calls that concurrent requests make at about the same time
// into batch RPCs (ValidateSessions, ReadMany): a DB service then pays one
// call's overhead (HTTP/2 stream, TLS record, metadata, thread hand-offs),
// which is most of what a point read costs, for many calls.
//
// At most kMaxInFlight batches are out at once; calls made meanwhile wait
// for the next one. An idle system thus sends each call alone at once,
// adding no latency, and a busy one sends batches as large as the load.
//
// `Batch` describes the batch RPC:
//   using Request, Response: its messages;
//   using Item, Result: one call in the request and its answer;
//   static Item* Add(Request&): appends an item;
//   static int Count(const Response&), static Result* Mutable(Response&, int).
// Thread-safe. Keep it in a shared_ptr: a batch in flight holds it.
template <typename Batch>
class Batcher : public std::enable_shared_from_this<Batcher<Batch>> {
 public:
  using Item = typename Batch::Item;
  using Result = typename Batch::Result;
  // Starts the batch RPC; `done` runs once, when it has ended.
  using Send =
      std::function<void(const typename Batch::Request&, Callback<typename Batch::Response>)>;

  // Two batches at once keep both cores of a DB service busy; more would
  // only make the batches smaller.
  static constexpr int kMaxInFlight = 2;
  // Well under the services' limit of 1000 per call.
  static constexpr size_t kMaxBatch = 500;

  explicit Batcher(Send send) : send_(std::move(send)) {}

  // Sends `item` with the next batch; `done` runs on a gRPC thread with its
  // result, or with the batch RPC's error.
  void Add(Item item, Callback<Result> done) {
    std::unique_lock lock(mu_);
    pending_.push_back({std::move(item), std::move(done)});
    if (in_flight_ >= kMaxInFlight) return;
    ++in_flight_;
    std::vector<Waiter> batch = Take();
    lock.unlock();
    SendBatch(std::move(batch));
  }

 private:
  struct Waiter {
    Item item;
    Callback<Result> done;
  };

  // REQUIRES: mu_ held.
  std::vector<Waiter> Take() {
    std::vector<Waiter> batch;
    if (pending_.size() <= kMaxBatch) {
      batch.swap(pending_);
    } else {
      auto end = pending_.begin() + kMaxBatch;
      batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(end));
      pending_.erase(pending_.begin(), end);
    }
    return batch;
  }

  void SendBatch(std::vector<Waiter> batch) {
    typename Batch::Request request;
    std::vector<Callback<Result>> callbacks;
    callbacks.reserve(batch.size());
    for (Waiter& w : batch) {
      *Batch::Add(request) = std::move(w.item);
      callbacks.push_back(std::move(w.done));
    }
    send_(request, [self = this->shared_from_this(), callbacks = std::move(callbacks)](
                       StatusOr<typename Batch::Response> reply) mutable {
      Deliver(callbacks, reply);
      self->Next();
    });
  }

  static void Deliver(std::vector<Callback<Result>>& callbacks,
                      StatusOr<typename Batch::Response>& reply) {
    if (reply.ok() && Batch::Count(*reply) != static_cast<int>(callbacks.size())) {
      reply = Internal("a DB service answered a batch with a different number of results");
    }
    for (size_t i = 0; i < callbacks.size(); ++i) {
      if (!reply.ok()) {
        callbacks[i](reply.status());
      } else {
        callbacks[i](std::move(*Batch::Mutable(*reply, static_cast<int>(i))));
      }
    }
  }

  void Next() {
    std::unique_lock lock(mu_);
    if (pending_.empty()) {
      --in_flight_;
      return;
    }
    std::vector<Waiter> batch = Take();
    lock.unlock();
    SendBatch(std::move(batch));
  }

  const Send send_;
  std::mutex mu_;
  std::vector<Waiter> pending_;
  int in_flight_ = 0;
};

}  // namespace mp::rpc
