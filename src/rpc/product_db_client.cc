#include "rpc/product_db_client.h"

#include <cstdint>

#include "common/status_mapping.h"
#include "common/types.h"

namespace mp::rpc {

size_t ReadBatch::MaxReplyBytes(const v1::ProductRead& read) {
  // A result's framing, or its failure (code, a short message, the reason).
  constexpr size_t kResultBytes = 512;
  // A page as the service reads it (product_db_service.cc, ValidatePage): 0
  // is the default; a limit out of range fails, but costs no more than the
  // largest page.
  auto page = [](int32_t limit) {
    return static_cast<size_t>(limit <= 0 || limit > kMaxSearchLimit
                                   ? (limit == 0 ? kDefaultSearchLimit : kMaxSearchLimit)
                                   : limit);
  };
  switch (read.read_case()) {
    case v1::ProductRead::kGetItem:
      return kResultBytes + kMaxItemReplyBytes;
    case v1::ProductRead::kGetItems:
      return kResultBytes +
             static_cast<size_t>(read.get_items().item_ids_size()) * kMaxItemReplyBytes;
    case v1::ProductRead::kListSellerItems:
      return kResultBytes + page(read.list_seller_items().limit()) * kMaxItemReplyBytes;
    case v1::ProductRead::kSearch:
      // Each item with its score and the ScoredItem around it.
      return kResultBytes + page(read.search().limit()) * (kMaxItemReplyBytes + 16);
    default:
      return kResultBytes;
  }
}

namespace {

using ResultCase = v1::ProductReadResult::ResultCase;

// One read of a batch, answered as its own RPC would have been.
template <typename Response>
void ReadBatched(Batcher<ReadBatch>& reads, v1::ProductRead read, ResultCase expected,
                 Response* (v1::ProductReadResult::*field)(), Callback<Response> done) {
  reads.Add(std::move(read),
            [expected, field, done = std::move(done)](StatusOr<v1::ProductReadResult> result) {
              if (!result.ok()) return done(result.status());
              if (result->result_case() == v1::ProductReadResult::kFailure) {
                return done(FromFailure(result->failure()));
              }
              if (result->result_case() != expected) {
                return done(Internal("the product DB answered a read with another kind of result"));
              }
              done(std::move(*((*result).*field)()));
            });
}

}  // namespace

ProductDbClient::ProductDbClient(const ClientOptions& options) : options_(options), pool_(options) {
  for (size_t i = 0; i < pool_.size(); ++i)
    stubs_.push_back(v1::ProductDb::NewStub(pool_.channel(i)));
  // Batches whose replies fit in half the message limit (rpc/batcher.h).
  reads_ = std::make_shared<Batcher<ReadBatch>>(
      [this](const v1::ReadManyRequest& request, Callback<v1::ReadManyResponse> done) {
        ReadMany(request, std::move(done));
      },
      static_cast<size_t>(options.max_message_bytes) / 2);
}

void ProductDbClient::GetItem(const v1::GetItemRequest& request, Callback<v1::Item> done) const {
  v1::ProductRead read;
  *read.mutable_get_item() = request;
  ReadBatched(*reads_, std::move(read), v1::ProductReadResult::kItem,
              &v1::ProductReadResult::mutable_item, std::move(done));
}

void ProductDbClient::GetItems(const v1::GetItemsRequest& request,
                               Callback<v1::ItemList> done) const {
  v1::ProductRead read;
  *read.mutable_get_items() = request;
  ReadBatched(*reads_, std::move(read), v1::ProductReadResult::kItemList,
              &v1::ProductReadResult::mutable_item_list, std::move(done));
}

void ProductDbClient::ListSellerItems(const v1::ListSellerItemsRequest& request,
                                      Callback<v1::ItemList> done) const {
  v1::ProductRead read;
  *read.mutable_list_seller_items() = request;
  ReadBatched(*reads_, std::move(read), v1::ProductReadResult::kItemList,
              &v1::ProductReadResult::mutable_item_list, std::move(done));
}

void ProductDbClient::Search(const v1::SearchRequest& request,
                             Callback<v1::SearchResponse> done) const {
  v1::ProductRead read;
  *read.mutable_search() = request;
  ReadBatched(*reads_, std::move(read), v1::ProductReadResult::kSearch,
              &v1::ProductReadResult::mutable_search, std::move(done));
}

void ProductDbClient::GetSellerRating(const v1::GetSellerRatingRequest& request,
                                      Callback<v1::Feedback> done) const {
  v1::ProductRead read;
  *read.mutable_get_seller_rating() = request;
  ReadBatched(*reads_, std::move(read), v1::ProductReadResult::kFeedback,
              &v1::ProductReadResult::mutable_feedback, std::move(done));
}

// The blocking forms of the reads travel batched too: one path per read.
#define MP_DEFINE_BATCHED_BLOCKING_READ(Method, Request, Response)                           \
  StatusOr<Response> ProductDbClient::Method(const Request& request) const {                 \
    return AwaitCallback<Response>([&](Callback<Response> done) { Method(request, done); }); \
  }
MP_DEFINE_BATCHED_BLOCKING_READ(GetItem, v1::GetItemRequest, v1::Item)
MP_DEFINE_BATCHED_BLOCKING_READ(GetItems, v1::GetItemsRequest, v1::ItemList)
MP_DEFINE_BATCHED_BLOCKING_READ(ListSellerItems, v1::ListSellerItemsRequest, v1::ItemList)
MP_DEFINE_BATCHED_BLOCKING_READ(Search, v1::SearchRequest, v1::SearchResponse)
MP_DEFINE_BATCHED_BLOCKING_READ(GetSellerRating, v1::GetSellerRatingRequest, v1::Feedback)
#undef MP_DEFINE_BATCHED_BLOCKING_READ

MP_DEFINE_RPC(ProductDbClient, RegisterItem, v1::RegisterItemRequest, v1::Item)
MP_DEFINE_RPC(ProductDbClient, ChangePrice, v1::ChangePriceRequest, v1::Item)
MP_DEFINE_RPC(ProductDbClient, WithdrawUnits, v1::WithdrawUnitsRequest, v1::Item)
MP_DEFINE_RPC(ProductDbClient, TakeStock, v1::TakeStockRequest, v1::TakeStockResponse)
MP_DEFINE_RPC(ProductDbClient, ReleaseStock, v1::StockRef, v1::Empty)
MP_DEFINE_RPC(ProductDbClient, CommitStock, v1::StockRef, v1::Empty)
MP_DEFINE_RPC(ProductDbClient, Vote, v1::VoteRequest, v1::Empty)
MP_DEFINE_RPC(ProductDbClient, ReadMany, v1::ReadManyRequest, v1::ReadManyResponse)

}  // namespace mp::rpc
