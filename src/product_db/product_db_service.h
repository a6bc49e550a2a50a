#pragma once

#include <utility>
#include <vector>

#include "common/fault.h"
#include "common/types.h"
#include "product_db.grpc.pb.h"
#include "rpc/queued_service.h"
#include "storage/product_repository.h"

namespace mp::product_db {

// A validated page of a paged read (limit 1-500, offset >= 0).
struct Page {
  int limit = 0;
  int offset = 0;
  auto operator<=>(const Page&) const = default;
};

// The ProductDb gRPC service: checks every argument against docs/contract.md §2
// (INVALID_ARGUMENT naming the field), normalizes keywords, then runs one
// repository transaction. Handlers run on `pool` (rpc/queued_service.h).
// `crash` is for tests only: its point "after_take_commit" is reached once
// TakeStock has committed, before the answer. Thread-safe; the references
// must outlive the service.
class ProductDbService final : public rpc::UnaryService<v1::ProductDb> {
 public:
  ProductDbService(storage::ProductRepository& repo, rpc::HandlerPool& pool,
                   CrashPoint crash = CrashPoint());

 private:
  Status RegisterItem(const v1::RegisterItemRequest* req, v1::Item* resp);
  Status GetItem(const v1::GetItemRequest* req, v1::Item* resp);
  Status GetItems(const v1::GetItemsRequest* req, v1::ItemList* resp);
  Status ListSellerItems(const v1::ListSellerItemsRequest* req, v1::ItemList* resp);
  Status ChangePrice(const v1::ChangePriceRequest* req, v1::Item* resp);
  Status WithdrawUnits(const v1::WithdrawUnitsRequest* req, v1::Item* resp);
  Status Search(const v1::SearchRequest* req, v1::SearchResponse* resp);
  Status TakeStock(const v1::TakeStockRequest* req, v1::TakeStockResponse* resp);
  Status ReleaseStock(const v1::StockRef* req, v1::Empty* resp);
  Status CommitStock(const v1::StockRef* req, v1::Empty* resp);
  Status Vote(const v1::VoteRequest* req, v1::Empty* resp);
  Status GetSellerRating(const v1::GetSellerRatingRequest* req, v1::Feedback* resp);
  Status ReadMany(const v1::ReadManyRequest* req, v1::ReadManyResponse* resp);

  // Every product read is answered here, whichever RPC carried it: ReadMany
  // passes its batch, each single-read RPC a batch of one (AnswerOne), so a
  // read's answer is written in one place. Results go into `resp` in the
  // order of `reads`; a read that fails has its status at its index in
  // `failed` (sized to `reads`), and its result is left empty.
  void Answer(const google::protobuf::RepeatedPtrField<v1::ProductRead>& reads,
              v1::ReadManyResponse* resp, std::vector<Status>& failed);
  // One read through Answer, its result's `field` moved to `out`.
  template <typename Response>
  Status AnswerOne(v1::ProductRead read, Response* (v1::ProductReadResult::*field)(),
                   Response* out);
  Status ReadItems(const v1::GetItemsRequest& req, v1::ItemList* resp);
  Status ReadSearch(const v1::SearchRequest& req, v1::SearchResponse* resp);

  struct SellerItemsRead {
    int index = 0;
    SellerId seller;
    Page page;
  };
  // ReadMany's reads answered one query per kind: (index of the read, what
  // it asks for).
  struct GroupedReads {
    std::vector<std::pair<int, ItemId>> item;                // GetItem
    std::vector<std::pair<int, std::vector<ItemId>>> items;  // GetItems
    std::vector<SellerItemsRead> seller_items;               // ListSellerItems
    std::vector<std::pair<int, SellerId>> ratings;           // GetSellerRating
  };
  void AnswerItemReads(const GroupedReads& grouped, v1::ReadManyResponse* resp,
                       std::vector<Status>& failed);
  void AnswerSellerReads(const GroupedReads& grouped, v1::ReadManyResponse* resp,
                         std::vector<Status>& failed);

  storage::ProductRepository& repo_;
  rpc::HandlerPool& pool_;
  const CrashPoint crash_;
};

}  // namespace mp::product_db
