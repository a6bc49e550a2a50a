#include "rpc/product_db_client.h"

namespace mp::rpc {

ProductDbClient::ProductDbClient(const ClientOptions& options) : options_(options), pool_(options) {
  for (size_t i = 0; i < pool_.size(); ++i)
    stubs_.push_back(v1::ProductDb::NewStub(pool_.channel(i)));
}

MP_DEFINE_RPC(ProductDbClient, RegisterItem, v1::RegisterItemRequest, v1::Item)
MP_DEFINE_RPC(ProductDbClient, GetItem, v1::GetItemRequest, v1::Item)
MP_DEFINE_RPC(ProductDbClient, GetItems, v1::GetItemsRequest, v1::ItemList)
MP_DEFINE_RPC(ProductDbClient, ListSellerItems, v1::ListSellerItemsRequest, v1::ItemList)
MP_DEFINE_RPC(ProductDbClient, ChangePrice, v1::ChangePriceRequest, v1::Item)
MP_DEFINE_RPC(ProductDbClient, WithdrawUnits, v1::WithdrawUnitsRequest, v1::Item)
MP_DEFINE_RPC(ProductDbClient, Search, v1::SearchRequest, v1::SearchResponse)
MP_DEFINE_RPC(ProductDbClient, TakeStock, v1::TakeStockRequest, v1::TakeStockResponse)
MP_DEFINE_RPC(ProductDbClient, ReleaseStock, v1::StockRef, v1::Empty)
MP_DEFINE_RPC(ProductDbClient, CommitStock, v1::StockRef, v1::Empty)
MP_DEFINE_RPC(ProductDbClient, Vote, v1::VoteRequest, v1::Empty)
MP_DEFINE_RPC(ProductDbClient, GetSellerRating, v1::GetSellerRatingRequest, v1::Feedback)

}  // namespace mp::rpc
