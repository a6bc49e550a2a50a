#pragma once

#include <memory>
#include <vector>

#include "product_db.grpc.pb.h"
#include "rpc/batcher.h"
#include "rpc/channel_pool.h"
#include "rpc/client_call.h"

namespace mp::rpc {

// The ReadMany RPC as a batch (rpc/batcher.h).
struct ReadBatch {
  using Request = v1::ReadManyRequest;
  using Response = v1::ReadManyResponse;
  using Item = v1::ProductRead;
  using Result = v1::ProductReadResult;
  static Item* Add(Request& request) { return request.add_reads(); }
  static int Count(const Response& response) { return response.results_size(); }
  static Result* Mutable(Response& response, int i) { return response.mutable_results(i); }
  // The largest result `read` can have: its page (or id list) full of the
  // largest items, or its failure.
  static size_t MaxReplyBytes(const Item& read);
};

// The most bytes one item takes in a reply, its place in the list included:
// every field at the largest docs/contract.md §2 allows (checked by product_db_client_test).
inline constexpr size_t kMaxItemReplyBytes = 384;

// Typed client of the ProductDb service (proto/product_db.proto documents
// each call and its errors). Every call has the options' deadline; transport
// failures come back as kUnavailable or kDeadlineExceeded. Thread-safe.
//
// The asynchronous forms of the reads (GetItem, GetItems, ListSellerItems,
// Search, GetSellerRating) travel batched: the reads of concurrent callers
// go together in one ReadMany call (rpc/batcher.h), with the same answers
// and errors as their own RPCs. A read may wait for the batches in flight
// before its own is sent, then has the full deadline.
class ProductDbClient {
 public:
  explicit ProductDbClient(const ClientOptions& options);

  MP_DECLARE_RPC(RegisterItem, v1::RegisterItemRequest, v1::Item)
  MP_DECLARE_RPC(GetItem, v1::GetItemRequest, v1::Item)
  MP_DECLARE_RPC(GetItems, v1::GetItemsRequest, v1::ItemList)
  MP_DECLARE_RPC(ListSellerItems, v1::ListSellerItemsRequest, v1::ItemList)
  MP_DECLARE_RPC(ChangePrice, v1::ChangePriceRequest, v1::Item)
  MP_DECLARE_RPC(WithdrawUnits, v1::WithdrawUnitsRequest, v1::Item)
  MP_DECLARE_RPC(Search, v1::SearchRequest, v1::SearchResponse)
  MP_DECLARE_RPC(TakeStock, v1::TakeStockRequest, v1::TakeStockResponse)
  MP_DECLARE_RPC(ReleaseStock, v1::StockRef, v1::Empty)
  MP_DECLARE_RPC(CommitStock, v1::StockRef, v1::Empty)
  MP_DECLARE_RPC(Vote, v1::VoteRequest, v1::Empty)
  MP_DECLARE_RPC(GetSellerRating, v1::GetSellerRatingRequest, v1::Feedback)
  MP_DECLARE_RPC(ReadMany, v1::ReadManyRequest, v1::ReadManyResponse)

 private:
  ClientOptions options_;
  ChannelPool pool_;
  std::vector<std::unique_ptr<v1::ProductDb::Stub>> stubs_;
  std::shared_ptr<Batcher<ReadBatch>> reads_;
};

}  // namespace mp::rpc
