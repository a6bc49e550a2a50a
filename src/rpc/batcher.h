#pragma once

#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "common/status.h"
#include "rpc/client_call.h"
#include "rpc/message_size.h"

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
//   static int Count(const Response&), static Result* Mutable(Response&, int);
//   optionally static size_t MaxReplyBytes(const Item&): the most bytes the
//   item's result can take in the reply.
// Thread-safe. Keep it in a shared_ptr: a batch in flight holds it.
//
// One call's error or size never fails the others of its batch:
//  - A batch stops before the sum of its items' MaxReplyBytes would pass
//    `max_reply_bytes` (it always holds at least one item), so a reply
//    cannot pass the channels' message size limit (rpc/message_size.h).
//  - Should a batch still fail as a whole with kResourceExhausted (what
//    gRPC answers for a message past the limit, either end), it is sent
//    again as two halves, one after the other, down to single items: only a
//    call whose own answer is too large gets the error.
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

  // `max_reply_bytes`: see the class comment; half the channels' limit
  // leaves room for the reply's framing.
  explicit Batcher(Send send, size_t max_reply_bytes = kMaxMessageBytes / 2)
      : send_(std::move(send)), max_reply_bytes_(max_reply_bytes) {}

  // Sends `item` with the next batch; `done` runs on the client queue's thread with its
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

  // What gRPC answers for a message past the limit, at either end; not a
  // service's "too_many_requests", which halves would only multiply.
  static bool TooLarge(const Status& status) {
    return status.code() == StatusCode::kResourceExhausted &&
           status.reason() != kTooManyRequests;
  }

  static size_t MaxReplyBytes(const Item& item) {
    if constexpr (requires { Batch::MaxReplyBytes(item); }) {
      return Batch::MaxReplyBytes(item);
    } else {
      return 0;
    }
  }

  // The first pending calls, up to kMaxBatch of them and max_reply_bytes_
  // of largest replies (at least one). REQUIRES: mu_ held.
  std::vector<Waiter> Take() {
    size_t n = 0, bytes = 0;
    while (n < pending_.size() && n < kMaxBatch) {
      bytes += MaxReplyBytes(pending_[n].item);
      if (n > 0 && bytes > max_reply_bytes_) break;
      ++n;
    }
    std::vector<Waiter> batch;
    if (n == pending_.size()) {
      batch.swap(pending_);
    } else {
      auto end = pending_.begin() + static_cast<std::ptrdiff_t>(n);
      batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(end));
      pending_.erase(pending_.begin(), end);
    }
    return batch;
  }

  void SendBatch(std::vector<Waiter> batch) {
    SendPart(std::move(batch), [self = this->shared_from_this()] { self->Next(); });
  }

  // Sends `batch` as one call; `then` runs once each of its calls has had
  // its answer. The items are copied into the request, not moved: a batch
  // refused for its size is sent again in halves.
  void SendPart(std::vector<Waiter> batch, std::function<void()> then) {
    typename Batch::Request request;
    for (const Waiter& w : batch) *Batch::Add(request) = w.item;
    send_(request, [self = this->shared_from_this(), batch = std::move(batch),
                    then = std::move(then)](StatusOr<typename Batch::Response> reply) mutable {
      if (!reply.ok() && TooLarge(reply.status()) && batch.size() > 1) {
        auto middle = batch.begin() + static_cast<std::ptrdiff_t>(batch.size() / 2);
        std::vector<Waiter> second(std::make_move_iterator(middle),
                                   std::make_move_iterator(batch.end()));
        batch.erase(middle, batch.end());
        self->SendPart(std::move(batch),
                       [self, second = std::move(second), then = std::move(then)]() mutable {
                         self->SendPart(std::move(second), std::move(then));
                       });
        return;
      }
      Deliver(batch, reply);
      then();
    });
  }

  static void Deliver(std::vector<Waiter>& batch, StatusOr<typename Batch::Response>& reply) {
    if (reply.ok() && Batch::Count(*reply) != static_cast<int>(batch.size())) {
      reply = Internal("a DB service answered a batch with a different number of results");
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!reply.ok()) {
        batch[i].done(reply.status());
      } else {
        batch[i].done(std::move(*Batch::Mutable(*reply, static_cast<int>(i))));
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
  const size_t max_reply_bytes_;
  std::mutex mu_;
  std::vector<Waiter> pending_;
  int in_flight_ = 0;
};

}  // namespace mp::rpc
