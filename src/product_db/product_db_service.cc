#include "product_db/product_db_service.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status_mapping.h"
#include "common/types.h"

namespace mp::product_db {
namespace {

constexpr int kMaxBatch = 1000;

// The repository's values as the wire's messages: copied where a value
// answers several reads of a batch, moved where it answers one.
void ToProto(storage::Item&& item, v1::Item* out) {
  out->set_id(item.id.ToString());
  out->set_name(std::move(item.name));
  out->set_category(item.category);
  for (std::string& word : item.keywords) out->add_keywords(std::move(word));
  out->set_condition(static_cast<v1::Condition>(item.condition));
  out->set_price_cents(item.price_cents);
  out->set_quantity(item.quantity);
  out->mutable_feedback()->set_up(item.feedback.up);
  out->mutable_feedback()->set_down(item.feedback.down);
  out->set_seller_id(item.seller_id.value);
}

void ToProto(const storage::Item& item, v1::Item* out) { ToProto(storage::Item(item), out); }

void ToProto(const std::vector<storage::Item>& items, v1::ItemList* out) {
  out->mutable_items()->Reserve(static_cast<int>(items.size()));
  for (const storage::Item& item : items) ToProto(item, out->add_items());
}

StatusOr<std::vector<std::string>> Keywords(
    const google::protobuf::RepeatedPtrField<std::string>& words) {
  return NormalizeKeywords(std::vector<std::string>(words.begin(), words.end()));
}

Status ValidateCondition(v1::Condition condition) {
  if (condition != v1::CONDITION_NEW && condition != v1::CONDITION_USED) {
    return InvalidArgument("condition", "must be new or used");
  }
  return Status();
}

// A page as Search and ListSellerItems take it: limit 0 is the default.
StatusOr<Page> ValidatePage(int32_t limit, int32_t offset) {
  Page page{limit == 0 ? kDefaultSearchLimit : limit, offset};
  if (page.limit < 1 || page.limit > kMaxSearchLimit) {
    return InvalidArgument("limit", "must be from 1 to 500");
  }
  if (page.offset < 0) return InvalidArgument("offset", "must not be negative");
  return page;
}

}  // namespace

ProductDbService::ProductDbService(storage::ProductRepository& repo, rpc::HandlerPool& pool,
                                   CrashPoint crash)
    : repo_(repo), pool_(pool), crash_(std::move(crash)) {
  Serve(&Async::RequestRegisterItem, "RegisterItem", pool_,
        [this](const auto* req, auto* resp) { return RegisterItem(req, resp); });
  Serve(&Async::RequestGetItem, "GetItem", pool_,
        [this](const auto* req, auto* resp) { return GetItem(req, resp); });
  Serve(&Async::RequestGetItems, "GetItems", pool_,
        [this](const auto* req, auto* resp) { return GetItems(req, resp); });
  Serve(&Async::RequestListSellerItems, "ListSellerItems", pool_,
        [this](const auto* req, auto* resp) { return ListSellerItems(req, resp); });
  Serve(&Async::RequestChangePrice, "ChangePrice", pool_,
        [this](const auto* req, auto* resp) { return ChangePrice(req, resp); });
  Serve(&Async::RequestWithdrawUnits, "WithdrawUnits", pool_,
        [this](const auto* req, auto* resp) { return WithdrawUnits(req, resp); });
  Serve(&Async::RequestSearch, "Search", pool_,
        [this](const auto* req, auto* resp) { return Search(req, resp); });
  Serve(&Async::RequestTakeStock, "TakeStock", pool_,
        [this](const auto* req, auto* resp) { return TakeStock(req, resp); });
  Serve(&Async::RequestReleaseStock, "ReleaseStock", pool_,
        [this](const auto* req, auto* resp) { return ReleaseStock(req, resp); });
  Serve(&Async::RequestCommitStock, "CommitStock", pool_,
        [this](const auto* req, auto* resp) { return CommitStock(req, resp); });
  Serve(&Async::RequestVote, "Vote", pool_,
        [this](const auto* req, auto* resp) { return Vote(req, resp); });
  Serve(&Async::RequestGetSellerRating, "GetSellerRating", pool_,
        [this](const auto* req, auto* resp) { return GetSellerRating(req, resp); });
  Serve(&Async::RequestReadMany, "ReadMany", pool_,
        [this](const auto* req, auto* resp) { return ReadMany(req, resp); });
}

Status ProductDbService::RegisterItem(const v1::RegisterItemRequest* req, v1::Item* resp) {
  MP_RETURN_IF_ERROR(ValidateId("seller_id", req->seller_id()));
  MP_RETURN_IF_ERROR(ValidateName("name", req->name()));
  MP_RETURN_IF_ERROR(ValidateCategory(req->category()));
  MP_ASSIGN_OR_RETURN(std::vector<std::string> keywords, Keywords(req->keywords()));
  MP_RETURN_IF_ERROR(ValidateCondition(req->condition()));
  MP_RETURN_IF_ERROR(ValidatePriceCents(req->price_cents()));
  MP_RETURN_IF_ERROR(ValidateQuantity("quantity", req->quantity()));
  MP_ASSIGN_OR_RETURN(
      storage::Item item,
      repo_.RegisterItem({.seller_id = SellerId(req->seller_id()),
                          .name = req->name(),
                          .category = req->category(),
                          .keywords = std::move(keywords),
                          .condition = static_cast<storage::Condition>(req->condition()),
                          .price_cents = req->price_cents(),
                          .quantity = req->quantity()}));
  ToProto(std::move(item), resp);
  return Status();
}

template <typename Response>
Status ProductDbService::AnswerOne(v1::ProductRead read,
                                   Response* (v1::ProductReadResult::*field)(), Response* out) {
  google::protobuf::RepeatedPtrField<v1::ProductRead> reads;
  *reads.Add() = std::move(read);
  v1::ReadManyResponse answers;
  std::vector<Status> failed(1);
  Answer(reads, &answers, failed);
  if (!failed[0].ok()) return failed[0];
  *out = std::move(*(answers.mutable_results(0)->*field)());
  return Status();
}

Status ProductDbService::GetItem(const v1::GetItemRequest* req, v1::Item* resp) {
  v1::ProductRead read;
  *read.mutable_get_item() = *req;
  return AnswerOne(std::move(read), &v1::ProductReadResult::mutable_item, resp);
}

Status ProductDbService::GetItems(const v1::GetItemsRequest* req, v1::ItemList* resp) {
  v1::ProductRead read;
  *read.mutable_get_items() = *req;
  return AnswerOne(std::move(read), &v1::ProductReadResult::mutable_item_list, resp);
}

namespace {

StatusOr<std::vector<ItemId>> ParseItemIds(const v1::GetItemsRequest& req) {
  if (req.item_ids_size() > kMaxBatch) {
    return InvalidArgument("item_ids", "at most 1000 ids at once");
  }
  std::vector<ItemId> ids;
  for (const std::string& text : req.item_ids()) {
    MP_ASSIGN_OR_RETURN(ItemId id, ItemId::Parse(text, "item_ids"));
    ids.push_back(id);
  }
  return ids;
}

}  // namespace

Status ProductDbService::ReadItems(const v1::GetItemsRequest& req, v1::ItemList* resp) {
  MP_ASSIGN_OR_RETURN(std::vector<ItemId> ids, ParseItemIds(req));
  MP_ASSIGN_OR_RETURN(std::vector<storage::Item> items, repo_.GetItems(ids));
  resp->mutable_items()->Reserve(static_cast<int>(items.size()));
  for (storage::Item& item : items) ToProto(std::move(item), resp->add_items());
  return Status();
}

Status ProductDbService::ListSellerItems(const v1::ListSellerItemsRequest* req,
                                         v1::ItemList* resp) {
  v1::ProductRead read;
  *read.mutable_list_seller_items() = *req;
  return AnswerOne(std::move(read), &v1::ProductReadResult::mutable_item_list, resp);
}

Status ProductDbService::ChangePrice(const v1::ChangePriceRequest* req, v1::Item* resp) {
  MP_RETURN_IF_ERROR(ValidateId("seller_id", req->seller_id()));
  MP_ASSIGN_OR_RETURN(ItemId id, ItemId::Parse(req->item_id()));
  MP_RETURN_IF_ERROR(ValidatePriceCents(req->price_cents()));
  MP_ASSIGN_OR_RETURN(storage::Item item,
                      repo_.ChangePrice(SellerId(req->seller_id()), id, req->price_cents()));
  ToProto(std::move(item), resp);
  return Status();
}

Status ProductDbService::WithdrawUnits(const v1::WithdrawUnitsRequest* req, v1::Item* resp) {
  MP_RETURN_IF_ERROR(ValidateId("seller_id", req->seller_id()));
  MP_ASSIGN_OR_RETURN(ItemId id, ItemId::Parse(req->item_id()));
  std::optional<int64_t> quantity;
  if (req->has_quantity()) {
    MP_RETURN_IF_ERROR(ValidateQuantity("quantity", req->quantity()));
    quantity = req->quantity();
  }
  MP_ASSIGN_OR_RETURN(storage::Item item,
                      repo_.WithdrawUnits(SellerId(req->seller_id()), id, quantity));
  ToProto(std::move(item), resp);
  return Status();
}

Status ProductDbService::Search(const v1::SearchRequest* req, v1::SearchResponse* resp) {
  v1::ProductRead read;
  *read.mutable_search() = *req;
  return AnswerOne(std::move(read), &v1::ProductReadResult::mutable_search, resp);
}

Status ProductDbService::ReadSearch(const v1::SearchRequest& req, v1::SearchResponse* resp) {
  MP_RETURN_IF_ERROR(ValidateCategory(req.category()));
  MP_ASSIGN_OR_RETURN(std::vector<std::string> keywords, Keywords(req.keywords()));
  MP_ASSIGN_OR_RETURN(Page page, ValidatePage(req.limit(), req.offset()));
  MP_ASSIGN_OR_RETURN(std::vector<storage::ScoredItem> found,
                      repo_.Search(req.category(), keywords, page.limit, page.offset));
  resp->mutable_items()->Reserve(static_cast<int>(found.size()));
  for (storage::ScoredItem& hit : found) {
    v1::ScoredItem* scored = resp->add_items();
    ToProto(std::move(hit.item), scored->mutable_item());
    scored->set_score(hit.score);
  }
  return Status();
}

Status ProductDbService::TakeStock(const v1::TakeStockRequest* req, v1::TakeStockResponse* resp) {
  MP_RETURN_IF_ERROR(ValidateKey("purchase_id", req->purchase_id()));
  if (req->lines().empty() || req->lines_size() > kMaxBatch) {
    return InvalidArgument("lines", "must hold 1 to 1000 lines");
  }
  std::vector<storage::StockLine> lines;
  std::set<int64_t> seen;
  for (const v1::StockLine& line : req->lines()) {
    MP_ASSIGN_OR_RETURN(ItemId id, ItemId::Parse(line.item_id(), "lines.item_id"));
    MP_RETURN_IF_ERROR(ValidateQuantity("lines.quantity", line.quantity()));
    if (!seen.insert(id.number).second) return InvalidArgument("lines", "each item appears once");
    lines.push_back({id, line.quantity()});
  }
  MP_ASSIGN_OR_RETURN(std::vector<storage::TakenLine> taken,
                      repo_.TakeStock(req->purchase_id(), lines));
  for (storage::TakenLine& line : taken) {
    v1::TakenLine* out = resp->add_lines();
    out->set_item_id(line.item_id.ToString());
    out->set_quantity(line.quantity);
    out->set_price_cents(line.price_cents);
    out->set_seller_id(line.seller_id.value);
    out->set_name(std::move(line.name));
  }
  crash_.Reached("after_take_commit");
  return Status();
}

Status ProductDbService::ReleaseStock(const v1::StockRef* req, v1::Empty*) {
  MP_RETURN_IF_ERROR(ValidateKey("purchase_id", req->purchase_id()));
  return repo_.ReleaseStock(req->purchase_id());
}

Status ProductDbService::CommitStock(const v1::StockRef* req, v1::Empty*) {
  MP_RETURN_IF_ERROR(ValidateKey("purchase_id", req->purchase_id()));
  return repo_.CommitStock(req->purchase_id());
}

Status ProductDbService::Vote(const v1::VoteRequest* req, v1::Empty*) {
  MP_RETURN_IF_ERROR(ValidateId("buyer_id", req->buyer_id()));
  MP_ASSIGN_OR_RETURN(ItemId id, ItemId::Parse(req->item_id()));
  if (req->vote() != v1::VOTE_UP && req->vote() != v1::VOTE_DOWN) {
    return InvalidArgument("vote", "must be up or down");
  }
  return repo_.Vote(BuyerId(req->buyer_id()), id, req->vote() == v1::VOTE_UP);
}

Status ProductDbService::GetSellerRating(const v1::GetSellerRatingRequest* req,
                                         v1::Feedback* resp) {
  v1::ProductRead read;
  *read.mutable_get_seller_rating() = *req;
  return AnswerOne(std::move(read), &v1::ProductReadResult::mutable_feedback, resp);
}

Status ProductDbService::ReadMany(const v1::ReadManyRequest* req, v1::ReadManyResponse* resp) {
  if (req->reads_size() > kMaxBatch) return InvalidArgument("reads", "at most 1000 per call");
  std::vector<Status> failed(static_cast<size_t>(req->reads_size()));
  Answer(req->reads(), resp, failed);
  for (int i = 0; i < req->reads_size(); ++i) {
    if (failed[i].ok()) continue;
    Status status = rpc::ForCaller("ReadMany", std::move(failed[i]));
    ToFailure(status, resp->mutable_results(i)->mutable_failure());
  }
  return Status();
}

void ProductDbService::Answer(const google::protobuf::RepeatedPtrField<v1::ProductRead>& reads,
                              v1::ReadManyResponse* resp, std::vector<Status>& failed) {
  // Point reads of one kind are answered together, one query for all of
  // them: on PostgreSQL every query is a round trip to the server, and a
  // batch under load holds tens of these. The other reads go one by one.
  GroupedReads grouped;
  size_t grouped_ids = 0;
  for (int i = 0; i < reads.size(); ++i) {
    const v1::ProductRead& read = reads[i];
    v1::ProductReadResult* result = resp->add_results();
    Status status;
    switch (read.read_case()) {
      case v1::ProductRead::kGetItem: {
        StatusOr<ItemId> id = ItemId::Parse(read.get_item().item_id());
        if (id.ok()) grouped.item.emplace_back(i, *id);
        status = id.status();
        break;
      }
      case v1::ProductRead::kGetItems: {
        // Grouped up to the size of one GetItems call; beyond, one by one.
        StatusOr<std::vector<ItemId>> ids = ParseItemIds(read.get_items());
        if (ids.ok() && grouped_ids + ids->size() <= kMaxBatch) {
          grouped_ids += ids->size();
          grouped.items.emplace_back(i, std::move(*ids));
        } else if (ids.ok()) {
          status = ReadItems(read.get_items(), result->mutable_item_list());
        } else {
          status = ids.status();
        }
        break;
      }
      case v1::ProductRead::kListSellerItems: {
        const v1::ListSellerItemsRequest& list = read.list_seller_items();
        status = ValidateId("seller_id", list.seller_id());
        StatusOr<Page> page = ValidatePage(list.limit(), list.offset());
        if (status.ok()) status = page.status();
        if (status.ok()) grouped.seller_items.push_back({i, SellerId(list.seller_id()), *page});
        break;
      }
      case v1::ProductRead::kSearch:
        status = ReadSearch(read.search(), result->mutable_search());
        break;
      case v1::ProductRead::kGetSellerRating:
        status = ValidateId("seller_id", read.get_seller_rating().seller_id());
        if (status.ok()) {
          grouped.ratings.emplace_back(i, SellerId(read.get_seller_rating().seller_id()));
        }
        break;
      case v1::ProductRead::READ_NOT_SET:
        status = InvalidArgument("reads", "each read must name its call");
        break;
    }
    if (!status.ok()) failed[i] = std::move(status);
  }
  AnswerItemReads(grouped, resp, failed);
  AnswerSellerReads(grouped, resp, failed);
}

void ProductDbService::AnswerItemReads(const GroupedReads& grouped, v1::ReadManyResponse* resp,
                                       std::vector<Status>& failed) {
  if (grouped.item.empty() && grouped.items.empty()) return;
  std::vector<ItemId> ids;
  for (const auto& [i, id] : grouped.item) ids.push_back(id);
  for (const auto& [i, some] : grouped.items) ids.insert(ids.end(), some.begin(), some.end());
  StatusOr<std::vector<storage::Item>> items = repo_.GetItems(ids);
  if (!items.ok()) {
    for (const auto& [i, id] : grouped.item) failed[i] = items.status();
    for (const auto& [i, some] : grouped.items) failed[i] = items.status();
    return;
  }
  std::map<std::pair<int64_t, int64_t>, const storage::Item*> by_id;
  for (const storage::Item& item : *items) {
    by_id.emplace(std::pair(item.id.category, item.id.number), &item);
  }
  auto find = [&](const ItemId& id) { return by_id.find(std::pair(id.category, id.number)); };
  for (const auto& [i, id] : grouped.item) {
    auto it = find(id);
    if (it != by_id.end()) {
      ToProto(*it->second, resp->mutable_results(i)->mutable_item());
    } else {
      failed[i] = NotFound(storage::ItemNotFound(id));
    }
  }
  // As GetItems answers: in the order asked, unknown ids left out.
  for (const auto& [i, some] : grouped.items) {
    v1::ItemList* list = resp->mutable_results(i)->mutable_item_list();
    for (const ItemId& id : some) {
      auto it = find(id);
      if (it != by_id.end()) ToProto(*it->second, list->add_items());
    }
  }
}

void ProductDbService::AnswerSellerReads(const GroupedReads& grouped, v1::ReadManyResponse* resp,
                                         std::vector<Status>& failed) {
  // One query per distinct page: concurrent DisplayItemsForSale mostly ask
  // the same (the first page at the default limit).
  std::map<Page, std::set<SellerId>> pages;
  for (const SellerItemsRead& read : grouped.seller_items) pages[read.page].insert(read.seller);
  for (const auto& [page, sellers] : pages) {
    auto lists = repo_.ListItemsOfSellers(sellers, page.limit, page.offset);
    for (const SellerItemsRead& read : grouped.seller_items) {
      if (read.page != page) continue;
      if (!lists.ok()) {
        failed[read.index] = lists.status();
        continue;
      }
      // Set even when empty: the answer's kind tells which read it answers.
      v1::ItemList* list = resp->mutable_results(read.index)->mutable_item_list();
      if (auto it = lists->find(read.seller); it != lists->end()) ToProto(it->second, list);
    }
  }
  std::set<SellerId> sellers;
  if (!grouped.ratings.empty()) {
    for (const auto& [i, seller] : grouped.ratings) sellers.insert(seller);
    auto ratings = repo_.GetSellerRatings(sellers);
    for (const auto& [i, seller] : grouped.ratings) {
      if (!ratings.ok()) {
        failed[i] = ratings.status();
        continue;
      }
      v1::Feedback* feedback = resp->mutable_results(i)->mutable_feedback();
      if (auto it = ratings->find(seller); it != ratings->end()) {
        feedback->set_up(it->second.up);
        feedback->set_down(it->second.down);
      }
    }
  }
}

}  // namespace mp::product_db
