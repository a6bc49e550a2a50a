// ProductDb's asynchronous and batched calls over real gRPC on loopback,
// against a SQLite file and a PostgreSQL schema: callbacks, ReadMany
// answering each read as its own call would, per-read failures and sizes
// inside one batch, many threads batching at once.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "common/status_mapping.h"
#include "common/types.h"
#include "product_db/product_db_test_fixture.h"

namespace mp::product_db::testing {
namespace {

using storage::Engine;

class ProductDbBatchTest : public ProductDbServiceTest {};

TEST_P(ProductDbBatchTest, AsynchronousCallsCompleteThroughCallbacks) {
  std::vector<v1::Item> items;
  for (int i = 0; i < 4; ++i) {
    items.push_back(Register({.name = "Item " + std::to_string(i)}));
  }
  constexpr int kCalls = 64;
  std::mutex mu;
  std::condition_variable cv;
  int done = 0, matched = 0, not_found = 0;
  for (int i = 0; i < kCalls; ++i) {
    v1::GetItemRequest req;
    bool unknown = i % 8 == 7;
    std::string expected = unknown ? "" : items[i % 4].name();
    req.set_item_id(unknown ? kUnknownId : items[i % 4].id());
    client_->GetItem(req, [&, expected](StatusOr<v1::Item> r) {
      std::lock_guard lock(mu);
      ++done;
      if (r.ok() && r->name() == expected) ++matched;
      if (!r.ok() && r.status().code() == StatusCode::kNotFound) ++not_found;
      cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return done == kCalls; }))
      << done << " of " << kCalls << " callbacks ran";
  EXPECT_EQ(matched, kCalls - kCalls / 8);
  EXPECT_EQ(not_found, kCalls / 8);
}

TEST_P(ProductDbBatchTest, ReadManyAnswersEachReadAsItsOwnCallWould) {
  v1::Item shoe = Register({.seller_id = 7, .name = "Red shoe"});
  v1::Item lamp = Register({.seller_id = 7, .name = "Blue lamp", .keywords = {"blue", "lamp"}});
  ASSERT_TRUE(Vote(1, shoe.id(), v1::VOTE_UP).ok());

  v1::ReadManyRequest req;
  req.add_reads()->mutable_get_item()->set_item_id(lamp.id());
  req.add_reads()->mutable_get_item()->set_item_id(kUnknownId);
  req.add_reads()->mutable_get_item()->set_item_id("not-an-id");
  v1::GetItemsRequest* several = req.add_reads()->mutable_get_items();
  several->add_item_ids(shoe.id());
  several->add_item_ids(kUnknownId);
  req.add_reads()->mutable_list_seller_items()->set_seller_id(7);
  v1::SearchRequest* search = req.add_reads()->mutable_search();
  search->set_category(3);
  search->add_keywords("lamp");
  req.add_reads()->mutable_search()->set_category(-1);
  req.add_reads()->mutable_get_seller_rating()->set_seller_id(7);
  req.add_reads();  // names no call
  // Reads of one kind are answered by one query; each still gets its own.
  req.add_reads()->mutable_get_item()->set_item_id(shoe.id());
  ItemId lamp_id = *ItemId::Parse(lamp.id());
  std::string wrong_category = ItemId{lamp_id.category + 1, lamp_id.number}.ToString();
  req.add_reads()->mutable_get_item()->set_item_id(wrong_category);
  req.add_reads()->mutable_list_seller_items()->set_seller_id(8);
  req.add_reads()->mutable_get_seller_rating()->set_seller_id(8);
  req.add_reads()->mutable_list_seller_items()->set_seller_id(-1);
  req.add_reads()->mutable_list_seller_items()->set_seller_id(7);
  v1::GetItemsRequest* cart = req.add_reads()->mutable_get_items();
  for (const std::string& id : {lamp.id(), wrong_category, shoe.id(), lamp.id()}) {
    cart->add_item_ids(id);
  }
  v1::GetItemsRequest* bad = req.add_reads()->mutable_get_items();
  bad->add_item_ids(shoe.id());
  bad->add_item_ids("x");

  auto reply = client_->ReadMany(req);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  ASSERT_EQ(reply->results_size(), req.reads_size());
  auto failure = [&](int i) {
    const v1::ProductReadResult& r = reply->results(i);
    EXPECT_EQ(r.result_case(), v1::ProductReadResult::kFailure) << i;
    return std::to_string(r.failure().code()) + "/" + r.failure().reason();
  };
  EXPECT_EQ(reply->results(0).item().name(), "Blue lamp");
  EXPECT_EQ(failure(1), std::to_string(grpc::StatusCode::NOT_FOUND) + "/not_found");
  EXPECT_EQ(failure(2), std::to_string(grpc::StatusCode::INVALID_ARGUMENT) + "/invalid_argument");
  EXPECT_EQ(Ids(reply->results(3).item_list().items()), shoe.id());
  EXPECT_EQ(Ids(reply->results(4).item_list().items()), shoe.id() + " " + lamp.id());
  EXPECT_EQ(Ranked(reply->results(5).search()), lamp.id() + "/1");
  EXPECT_EQ(failure(6), std::to_string(grpc::StatusCode::INVALID_ARGUMENT) + "/invalid_argument");
  EXPECT_EQ(reply->results(7).feedback().up(), 1);
  EXPECT_EQ(failure(8), std::to_string(grpc::StatusCode::INVALID_ARGUMENT) + "/invalid_argument");
  EXPECT_EQ(reply->results(9).item().name(), "Red shoe");
  EXPECT_EQ(reply->results(9).item().feedback().up(), 1);
  EXPECT_EQ(failure(10), std::to_string(grpc::StatusCode::NOT_FOUND) + "/not_found");
  v1::GetItemRequest single;
  single.set_item_id(kUnknownId);
  auto unary = client_->GetItem(single);
  EXPECT_EQ(reply->results(1).failure().message(), unary.status().message());
  EXPECT_EQ(reply->results(11).result_case(), v1::ProductReadResult::kItemList);
  EXPECT_EQ(reply->results(11).item_list().items_size(), 0);
  EXPECT_EQ(reply->results(12).result_case(), v1::ProductReadResult::kFeedback);
  EXPECT_EQ(reply->results(12).feedback().up() + reply->results(12).feedback().down(), 0);
  EXPECT_EQ(failure(13), std::to_string(grpc::StatusCode::INVALID_ARGUMENT) + "/invalid_argument");
  EXPECT_EQ(Ids(reply->results(14).item_list().items()), shoe.id() + " " + lamp.id());
  EXPECT_EQ(Ids(reply->results(15).item_list().items()),
            lamp.id() + " " + shoe.id() + " " + lamp.id());
  EXPECT_EQ(failure(16), std::to_string(grpc::StatusCode::INVALID_ARGUMENT) + "/invalid_argument");

  v1::ReadManyRequest too_many;
  for (int i = 0; i < 1001; ++i) too_many.add_reads()->mutable_get_item()->set_item_id(lamp.id());
  EXPECT_TRUE(HasError(client_->ReadMany(too_many), StatusCode::kInvalidArgument));
}

// The single-read RPCs, called on the service's own methods (not through
// the client, whose reads travel batched), answer byte for byte what the
// same read answers inside a ReadMany: errors with the same code, message
// and reason.
TEST_P(ProductDbBatchTest, EachSingleReadRpcAnswersAsItsReadInABatch) {
  v1::Item shoe = Register({.seller_id = 7, .name = "Red shoe"});
  v1::Item lamp = Register({.seller_id = 7, .name = "Blue lamp", .keywords = {"blue", "lamp"}});
  ASSERT_TRUE(Vote(1, shoe.id(), v1::VOTE_UP).ok());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::ProductDb::NewStub(channel);

  std::vector<v1::ProductRead> reads(12);
  reads[0].mutable_get_item()->set_item_id(lamp.id());
  reads[1].mutable_get_item()->set_item_id(kUnknownId);
  reads[2].mutable_get_item()->set_item_id("not-an-id");
  reads[3].mutable_get_items()->add_item_ids(shoe.id());
  reads[3].mutable_get_items()->add_item_ids(kUnknownId);
  reads[3].mutable_get_items()->add_item_ids(lamp.id());
  reads[4].mutable_get_items()->add_item_ids("x");
  reads[5].mutable_list_seller_items()->set_seller_id(7);
  reads[5].mutable_list_seller_items()->set_limit(1);
  reads[5].mutable_list_seller_items()->set_offset(1);
  reads[6].mutable_list_seller_items()->set_seller_id(7);
  reads[6].mutable_list_seller_items()->set_limit(501);
  reads[7].mutable_search()->set_category(3);
  reads[7].mutable_search()->add_keywords("lamp");
  reads[7].mutable_search()->add_keywords("shoe");
  reads[8].mutable_search()->set_category(0);
  reads[9].mutable_get_seller_rating()->set_seller_id(7);
  reads[10].mutable_get_seller_rating()->set_seller_id(8);
  reads[11].mutable_get_seller_rating()->set_seller_id(0);

  v1::ReadManyRequest batch;
  for (const v1::ProductRead& read : reads) *batch.add_reads() = read;
  auto answers = client_->ReadMany(batch);
  ASSERT_TRUE(answers.ok()) << answers.status().ToString();
  ASSERT_EQ(answers->results_size(), static_cast<int>(reads.size()));

  for (size_t i = 0; i < reads.size(); ++i) {
    SCOPED_TRACE("read " + std::to_string(i) + ": " + reads[i].ShortDebugString());
    grpc::ClientContext context;
    v1::ProductReadResult own;
    grpc::Status status;
    switch (reads[i].read_case()) {
      case v1::ProductRead::kGetItem:
        status = stub->GetItem(&context, reads[i].get_item(), own.mutable_item());
        break;
      case v1::ProductRead::kGetItems:
        status = stub->GetItems(&context, reads[i].get_items(), own.mutable_item_list());
        break;
      case v1::ProductRead::kListSellerItems:
        status =
            stub->ListSellerItems(&context, reads[i].list_seller_items(), own.mutable_item_list());
        break;
      case v1::ProductRead::kSearch:
        status = stub->Search(&context, reads[i].search(), own.mutable_search());
        break;
      case v1::ProductRead::kGetSellerRating:
        status =
            stub->GetSellerRating(&context, reads[i].get_seller_rating(), own.mutable_feedback());
        break;
      case v1::ProductRead::READ_NOT_SET:
        FAIL();
    }
    const v1::ProductReadResult& batched = answers->results(static_cast<int>(i));
    if (status.ok()) {
      EXPECT_EQ(own.SerializeAsString(), batched.SerializeAsString())
          << own.ShortDebugString() << " / " << batched.ShortDebugString();
    } else {
      Status as_batched = FromFailure(batched.failure());
      Status as_own = FromGrpc(status);
      EXPECT_EQ(batched.result_case(), v1::ProductReadResult::kFailure);
      EXPECT_EQ(as_own.code(), as_batched.code());
      EXPECT_EQ(as_own.message(), as_batched.message());
      EXPECT_EQ(as_own.reason(), as_batched.reason());
    }
  }
}

// Seller lists of different pages in one ReadMany: each read gets its own
// page, as its own ListSellerItems would, and a bad page fails alone.
TEST_P(ProductDbBatchTest, ReadManyPagesEachSellerListOnItsOwn) {
  std::vector<std::string> ids7, ids8;
  for (int i = 0; i < 5; ++i) {
    ids7.push_back(Register({.seller_id = 7, .name = "A" + std::to_string(i)}).id());
    ids8.push_back(Register({.seller_id = 8, .name = "B" + std::to_string(i)}).id());
  }
  struct PageRead {
    int64_t seller;
    int limit, offset;
  };
  const std::vector<PageRead> reads = {{7, 2, 0}, {8, 2, 0}, {7, 2, 2},   {8, 0, 3},
                                       {7, 2, 4}, {7, 2, 5}, {7, 501, 0}, {8, 1, -1}};
  v1::ReadManyRequest req;
  for (const PageRead& r : reads) {
    v1::ListSellerItemsRequest* list = req.add_reads()->mutable_list_seller_items();
    list->set_seller_id(r.seller);
    list->set_limit(r.limit);
    list->set_offset(r.offset);
  }
  auto reply = client_->ReadMany(req);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  ASSERT_EQ(reply->results_size(), req.reads_size());
  auto join = [](const std::vector<std::string>& ids, size_t from, size_t n) {
    std::string out;
    for (size_t i = from; i < std::min(ids.size(), from + n); ++i) {
      out += (out.empty() ? "" : " ") + ids[i];
    }
    return out;
  };
  EXPECT_EQ(Ids(reply->results(0).item_list().items()), join(ids7, 0, 2));
  EXPECT_EQ(Ids(reply->results(1).item_list().items()), join(ids8, 0, 2));
  EXPECT_EQ(Ids(reply->results(2).item_list().items()), join(ids7, 2, 2));
  EXPECT_EQ(Ids(reply->results(3).item_list().items()), join(ids8, 3, 50)) << "limit 0: 50";
  EXPECT_EQ(Ids(reply->results(4).item_list().items()), join(ids7, 4, 2));
  EXPECT_EQ(reply->results(5).result_case(), v1::ProductReadResult::kItemList) << "past the end";
  EXPECT_EQ(reply->results(5).item_list().items_size(), 0);
  for (int i : {6, 7}) {
    EXPECT_EQ(reply->results(i).failure().code(), grpc::StatusCode::INVALID_ARGUMENT) << i;
  }
  EXPECT_NE(reply->results(6).failure().message().find("limit"), std::string::npos);
  EXPECT_NE(reply->results(7).failure().message().find("offset"), std::string::npos);
}

// Through a client whose message limit (32 KiB) one seller's full page
// passes: that read fails alone with RESOURCE_EXHAUSTED, and the reads sent
// beside it still get their answers (batches are cut by the sum of their
// reads' largest replies, and a batch refused for its size goes in halves).
TEST_P(ProductDbBatchTest, AReadTooLargeForTheMessageLimitFailsAloneInItsBatch) {
  constexpr int kItems = 400;  // about 110 bytes each: 43 KiB in one page
  for (int i = 0; i < kItems; ++i) {
    std::string name = "Large item number " + std::to_string(100000 + i);
    name.resize(kMaxNameChars, 'x');
    const storage::NewItem item{
        .seller_id = SellerId(9),
        .name = name,
        .category = 3,
        .keywords = {"aaaaaaaa", "bbbbbbbb", "cccccccc", "dddddddd", "eeeeeeee"},
        .condition = storage::Condition::kNew,
        .price_cents = 1999,
        .quantity = 10};
    ASSERT_TRUE(repo_->RegisterItem(item).ok());
  }
  v1::Item lamp = Register({.seller_id = 7, .name = "Lamp"});
  rpc::ProductDbClient small(
      rpc::ClientOptions{.addresses = {"127.0.0.1:" + std::to_string(server_->port())},
                         .max_message_bytes = 32 * 1024});

  v1::ListSellerItemsRequest huge;
  huge.set_seller_id(9);
  huge.set_limit(500);
  v1::ListSellerItemsRequest few = huge;
  few.set_limit(3);
  v1::ListSellerItemsRequest sevens;
  sevens.set_seller_id(7);
  v1::GetItemRequest get;
  get.set_item_id(lamp.id());
  v1::GetSellerRatingRequest rating;
  rating.set_seller_id(9);

  // All at once: the first two go alone (two batches in flight), the rest
  // wait and would travel as one batch, the huge read in the middle.
  std::promise<StatusOr<v1::ItemList>> huge_list, few_list, sevens_list;
  std::promise<StatusOr<v1::Item>> item, first_item;
  std::promise<StatusOr<v1::Feedback>> feedback, first_feedback;
  auto to = [](auto& promise) { return [&promise](auto result) { promise.set_value(result); }; };
  small.GetSellerRating(rating, to(first_feedback));
  small.GetItem(get, to(first_item));
  small.ListSellerItems(few, to(few_list));
  small.ListSellerItems(huge, to(huge_list));
  small.GetItem(get, to(item));
  small.ListSellerItems(sevens, to(sevens_list));
  small.GetSellerRating(rating, to(feedback));

  // Every answer first: the callbacks hold the promises.
  auto h = huge_list.get_future().get();
  auto f = few_list.get_future().get();
  auto s7 = sevens_list.get_future().get();
  auto i = item.get_future().get();
  auto i0 = first_item.get_future().get();
  auto r = feedback.get_future().get();
  auto r0 = first_feedback.get_future().get();
  EXPECT_TRUE(HasError(h, StatusCode::kResourceExhausted));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->items_size(), 3);
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(i->name(), "Lamp");
  EXPECT_TRUE(i0.ok()) << i0.status().ToString();
  ASSERT_TRUE(s7.ok()) << s7.status().ToString();
  EXPECT_EQ(Ids(s7->items()), lamp.id());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r0.ok()) << r0.status().ToString();

  // The limit is real: the same reads in one ReadMany of that client fail
  // as a whole, while the default limit carries them.
  v1::ReadManyRequest together;
  *together.add_reads()->mutable_list_seller_items() = huge;
  *together.add_reads()->mutable_get_item() = get;
  EXPECT_TRUE(HasError(small.ReadMany(together), StatusCode::kResourceExhausted));
  auto carried = client_->ReadMany(together);
  ASSERT_TRUE(carried.ok()) << carried.status().ToString();
  EXPECT_EQ(carried->results(0).item_list().items_size(), kItems);
}

// The asynchronous reads travel batched (ReadMany): under many concurrent
// callers every caller still gets its own answer, or its own error.
TEST_P(ProductDbBatchTest, BatchedReadsOfManyThreadsGetTheirOwnAnswers) {
  constexpr int kItems = 8;
  std::vector<v1::Item> items;
  for (int i = 0; i < kItems; ++i) {
    items.push_back(Register({.seller_id = 10 + i,
                              .name = "Item " + std::to_string(i),
                              .price_cents = 100 + i,
                              .quantity = 1 + i}));
  }
  constexpr int kThreads = 32;
  constexpr int kCallsPerThread = 40;
  std::atomic<int> right{0}, wrong{0}, pending{kThreads * kCallsPerThread};
  std::promise<void> all_done;
  auto check = [&](bool ok) {
    (ok ? right : wrong).fetch_add(1);
    if (pending.fetch_sub(1) == 1) all_done.set_value();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCallsPerThread; ++c) {
        const v1::Item& item = items[static_cast<size_t>((t + c) % kItems)];
        switch (c % 4) {
          case 0: {
            v1::GetItemRequest req;
            req.set_item_id(item.id());
            client_->GetItem(req, [&, want = item.name()](StatusOr<v1::Item> r) {
              check(r.ok() && r->name() == want);
            });
            break;
          }
          case 1: {
            v1::GetSellerRatingRequest req;
            req.set_seller_id(-t - 1);
            client_->GetSellerRating(req, [&](StatusOr<v1::Feedback> r) {
              check(HasError(r, StatusCode::kInvalidArgument));
            });
            break;
          }
          case 2: {
            v1::ListSellerItemsRequest req;
            req.set_seller_id(item.seller_id());
            client_->ListSellerItems(req, [&, want = item.id()](StatusOr<v1::ItemList> r) {
              check(r.ok() && Ids(r->items()) == want);
            });
            break;
          }
          default: {
            v1::GetItemsRequest req;
            req.add_item_ids(item.id());
            req.add_item_ids(kUnknownId);
            client_->GetItems(req, [&, want = item.quantity()](StatusOr<v1::ItemList> r) {
              check(r.ok() && r->items_size() == 1 && r->items(0).quantity() == want);
            });
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(all_done.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << pending.load() << " callbacks never ran";
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(right.load(), kThreads * kCallsPerThread);
}

// A client may go as soon as its last callback has run, even while that
// callback still holds the gRPC thread. (Regression: the call's context kept
// a channel reference and dropped the last one on that thread, which then
// shut down its own completion queue: a use after free that aborted.)
TEST_P(ProductDbBatchTest, ClientMayGoAsSoonAsItsCallbackRuns) {
  // No other server or channel may keep gRPC's callback threads alive.
  client_.reset();
  server_->Shutdown();
  server_.reset();
  for (int i = 0; i < 10; ++i) {
    ProductDbService service(*repo_, *pool_);
    auto server = rpc::GrpcServer::Start("127.0.0.1:0", {&service});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    auto client = std::make_unique<rpc::ProductDbClient>(
        rpc::ClientOptions{.addresses = {"127.0.0.1:" + std::to_string((*server)->port())}});
    auto called = std::make_shared<std::promise<void>>();
    auto returned = std::make_shared<std::promise<void>>();
    std::future<void> called_future = called->get_future();
    std::future<void> returned_future = returned->get_future();
    v1::GetItemRequest req;
    req.set_item_id(kUnknownId);
    client->GetItem(req, [called, returned](StatusOr<v1::Item> r) {
      EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
      called->set_value();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      returned->set_value();
    });
    ASSERT_EQ(called_future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    client.reset();
    (*server)->Shutdown();
    server->reset();
    ASSERT_EQ(returned_future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, ProductDbBatchTest,
                         ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return storage::testing::EngineName(info.param);
                         });

}  // namespace
}  // namespace mp::product_db::testing
