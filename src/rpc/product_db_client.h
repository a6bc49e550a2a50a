#pragma once

#include <memory>
#include <vector>

#include "product_db.grpc.pb.h"
#include "rpc/channel_pool.h"
#include "rpc/client_call.h"

namespace mp::rpc {

// Typed client of the ProductDb service (proto/product_db.proto documents
// each call and its errors). Every call has the options' deadline; transport
// failures come back as kUnavailable or kDeadlineExceeded. Thread-safe.
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

 private:
  ClientOptions options_;
  ChannelPool pool_;
  std::vector<std::unique_ptr<v1::ProductDb::Stub>> stubs_;
};

}  // namespace mp::rpc
