// rpc::Batcher on its own: the batch RPC is a function the test answers by
// hand, so that what travels in which batch, and when, is visible.
#include "rpc/batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "common/types.h"
#include "rpc/customer_db_client.h"
#include "rpc/product_db_client.h"

namespace mp::rpc {
namespace {

using Sessions = SessionBatch;

v1::SessionRequest Session(const std::string& id) {
  v1::SessionRequest s;
  s.set_session_id(id);
  return s;
}

// Records the batches sent; the test answers them when it likes.
struct Service {
  std::mutex mu;
  std::deque<std::pair<v1::ValidateSessionsRequest, Callback<v1::ValidateSessionsResponse>>> sent;

  Batcher<Sessions>::Send Send() {
    return [this](const v1::ValidateSessionsRequest& request,
                  Callback<v1::ValidateSessionsResponse> done) {
      std::lock_guard lock(mu);
      sent.emplace_back(request, std::move(done));
    };
  }

  size_t Sent() {
    std::lock_guard lock(mu);
    return sent.size();
  }

  // The ids of batch i, space-separated.
  std::string Batch(size_t i) {
    std::lock_guard lock(mu);
    std::string ids;
    for (const v1::SessionRequest& s : sent[i].first.sessions()) {
      if (!ids.empty()) ids += ' ';
      ids += s.session_id();
    }
    return ids;
  }

  // Answers batch i with a check per session that echoes its id.
  void Echo(size_t i) {
    Callback<v1::ValidateSessionsResponse> done;
    v1::ValidateSessionsResponse response;
    {
      std::lock_guard lock(mu);
      for (const v1::SessionRequest& s : sent[i].first.sessions()) {
        response.add_checks()->mutable_failure()->set_message(s.session_id());
      }
      done = std::move(sent[i].second);
    }
    done(std::move(response));
  }

  void Answer(size_t i, StatusOr<v1::ValidateSessionsResponse> reply) {
    Callback<v1::ValidateSessionsResponse> done;
    {
      std::lock_guard lock(mu);
      done = std::move(sent[i].second);
    }
    done(std::move(reply));
  }
};

// What each caller heard: the id its check named, or its error's reason.
struct Heard {
  std::mutex mu;
  std::vector<std::string> answers;

  Callback<v1::SessionCheck> For(const std::string& id) {
    return [this, id](StatusOr<v1::SessionCheck> check) {
      std::lock_guard lock(mu);
      answers.push_back(id + "=" +
                        (check.ok() ? check->failure().message() : check.status().reason()));
    };
  }

  std::vector<std::string> Answers() {
    std::lock_guard lock(mu);
    return answers;
  }
};

TEST(BatcherTest, IdleCallsGoAtOnceAndBusyOnesWaitForTheNextBatch) {
  Service service;
  Heard heard;
  auto batcher = std::make_shared<Batcher<Sessions>>(service.Send());

  batcher->Add(Session("a"), heard.For("a"));
  batcher->Add(Session("b"), heard.For("b"));
  // Two batches are in flight: the rest wait.
  batcher->Add(Session("c"), heard.For("c"));
  batcher->Add(Session("d"), heard.For("d"));
  ASSERT_EQ(service.Sent(), 2u);
  EXPECT_EQ(service.Batch(0), "a");
  EXPECT_EQ(service.Batch(1), "b");

  // The first answer sends what waited, as one batch, in order.
  service.Echo(0);
  ASSERT_EQ(service.Sent(), 3u);
  EXPECT_EQ(service.Batch(2), "c d");
  service.Echo(2);
  service.Echo(1);
  EXPECT_EQ(service.Sent(), 3u);
  EXPECT_EQ(heard.Answers(), (std::vector<std::string>{"a=a", "c=c", "d=d", "b=b"}));

  // Idle again: the next call goes at once.
  batcher->Add(Session("e"), heard.For("e"));
  ASSERT_EQ(service.Sent(), 4u);
  EXPECT_EQ(service.Batch(3), "e");
}

TEST(BatcherTest, AFailedOrMismatchedBatchFailsEachOfItsCallsAndNoOther) {
  Service service;
  Heard heard;
  auto batcher = std::make_shared<Batcher<Sessions>>(service.Send());
  batcher->Add(Session("a"), heard.For("a"));
  batcher->Add(Session("b"), heard.For("b"));
  batcher->Add(Session("c"), heard.For("c"));
  batcher->Add(Session("d"), heard.For("d"));

  service.Answer(0, Unavailable("customer DB down"));
  ASSERT_EQ(service.Sent(), 3u);  // "c d" went on
  // One check for two sessions: neither may be taken for the other's.
  v1::ValidateSessionsResponse short_reply;
  short_reply.add_checks()->mutable_failure()->set_message("c");
  service.Answer(2, short_reply);
  service.Echo(1);
  EXPECT_EQ(heard.Answers(),
            (std::vector<std::string>{"a=unavailable", "c=internal", "d=internal", "b=b"}));
}

TEST(BatcherTest, LargeBacklogsGoInBatchesOfAtMostTheLimit) {
  Service service;
  Heard heard;
  auto batcher = std::make_shared<Batcher<Sessions>>(service.Send());
  const size_t limit = Batcher<Sessions>::kMaxBatch;
  const size_t calls = 2 + limit + 3;
  for (size_t i = 0; i < calls; ++i) {
    batcher->Add(Session(std::to_string(i)), heard.For(std::to_string(i)));
  }
  ASSERT_EQ(service.Sent(), 2u);
  service.Echo(0);
  service.Echo(1);
  ASSERT_EQ(service.Sent(), 4u);
  EXPECT_EQ(service.Batch(2).find("2 3 "), 0u);
  EXPECT_EQ(service.Batch(3), std::to_string(2 + limit) + " " + std::to_string(3 + limit) + " " +
                                  std::to_string(4 + limit));
  service.Echo(2);
  service.Echo(3);
  std::vector<std::string> answers = heard.Answers();
  ASSERT_EQ(answers.size(), calls);
  for (const std::string& a : answers) {
    size_t eq = a.find('=');
    EXPECT_EQ(a.substr(0, eq), a.substr(eq + 1));
  }
}

// A batch refused for its size goes again in halves, down to single calls:
// only the call whose own answer is too large hears the error.
TEST(BatcherTest, ABatchTooLargeIsSentAgainInHalvesAndOnlyTheHugeCallFails) {
  Service service;
  Heard heard;
  auto batcher = std::make_shared<Batcher<Sessions>>(service.Send());
  for (const char* id : {"a", "b", "c", "d", "huge", "f"}) batcher->Add(Session(id), heard.For(id));
  ASSERT_EQ(service.Sent(), 2u);
  service.Echo(0);
  service.Echo(1);
  ASSERT_EQ(service.Sent(), 3u);
  ASSERT_EQ(service.Batch(2), "c d huge f");
  const Status too_large(StatusCode::kResourceExhausted, "Received message larger than max");
  service.Answer(2, too_large);
  ASSERT_EQ(service.Sent(), 4u) << "one half at a time";
  EXPECT_EQ(service.Batch(3), "c d");
  service.Echo(3);
  ASSERT_EQ(service.Sent(), 5u);
  EXPECT_EQ(service.Batch(4), "huge f");
  service.Answer(4, too_large);
  ASSERT_EQ(service.Sent(), 6u);
  EXPECT_EQ(service.Batch(5), "huge");
  service.Answer(5, too_large);
  ASSERT_EQ(service.Sent(), 7u);
  EXPECT_EQ(service.Batch(6), "f");
  service.Echo(6);
  EXPECT_EQ(heard.Answers(), (std::vector<std::string>{"a=a", "b=b", "c=c", "d=d",
                                                       "huge=resource_exhausted", "f=f"}));
  // Done with the split: the batcher is idle again and sends at once.
  batcher->Add(Session("g"), heard.For("g"));
  ASSERT_EQ(service.Sent(), 8u);
  EXPECT_EQ(service.Batch(7), "g");

  // A service that sheds load is not asked twice as often.
  for (const char* id : {"h", "i", "j"}) batcher->Add(Session(id), heard.For(id));
  ASSERT_EQ(service.Sent(), 9u);  // "h" went at once, beside "g"
  service.Echo(7);
  ASSERT_EQ(service.Sent(), 10u);
  ASSERT_EQ(service.Batch(9), "i j");
  service.Answer(9, TooManyRequests("busy", 1));
  service.Echo(8);
  EXPECT_EQ(service.Sent(), 10u);
  std::vector<std::string> answers = heard.Answers();
  EXPECT_EQ(std::vector<std::string>(answers.end() - 3, answers.end()),
            (std::vector<std::string>{"i=too_many_requests", "j=too_many_requests", "h=h"}));
}

// Session checks that declare the most their answer can take: here, the
// length of the id.
struct WeighedSessions : SessionBatch {
  static size_t MaxReplyBytes(const Item& item) { return item.session_id().size(); }
};

TEST(BatcherTest, ABatchStopsBeforeItsLargestRepliesWouldPassTheBudget) {
  Service service;
  Heard heard;
  auto batcher = std::make_shared<Batcher<WeighedSessions>>(service.Send(), /*max_reply_bytes=*/6);
  for (const char* id : {"a", "b", "cc", "dd", "ee", "fffffffff", "g", "h"}) {
    batcher->Add(Session(id), heard.For(id));
  }
  service.Echo(0);
  EXPECT_EQ(service.Batch(2), "cc dd ee");
  service.Echo(1);
  EXPECT_EQ(service.Batch(3), "fffffffff") << "alone when past the budget by itself";
  service.Echo(2);
  EXPECT_EQ(service.Batch(4), "g h");
  service.Echo(3);
  service.Echo(4);
  EXPECT_EQ(heard.Answers().size(), 8u);
}

// Many threads adding while answers arrive on other threads: every call is
// answered exactly once with its own result, and at most two batches are
// ever out at once.
TEST(BatcherTest, ConcurrentCallersEachHearTheirOwnAnswerOnce) {
  std::atomic<int> in_flight{0}, most_in_flight{0};
  std::mutex mu;
  std::deque<std::pair<v1::ValidateSessionsRequest, Callback<v1::ValidateSessionsResponse>>> queue;
  auto batcher = std::make_shared<Batcher<Sessions>>(
      [&](const v1::ValidateSessionsRequest& request, Callback<v1::ValidateSessionsResponse> done) {
        int now = ++in_flight;
        int most = most_in_flight.load();
        while (now > most && !most_in_flight.compare_exchange_weak(most, now)) {
        }
        std::lock_guard lock(mu);
        queue.emplace_back(request, std::move(done));
      });

  constexpr int kThreads = 32, kCalls = 200;
  std::atomic<int> right{0}, wrong{0};
  std::atomic<bool> adding{true};
  // Two "service threads" answer whatever batch is out.
  std::vector<std::thread> answerers;
  for (int a = 0; a < 2; ++a) {
    answerers.emplace_back([&] {
      while (true) {
        std::unique_lock lock(mu);
        if (queue.empty()) {
          lock.unlock();
          if (!adding && in_flight == 0) return;
          std::this_thread::yield();
          continue;
        }
        auto [request, done] = std::move(queue.front());
        queue.pop_front();
        lock.unlock();
        v1::ValidateSessionsResponse response;
        for (const v1::SessionRequest& s : request.sessions()) {
          response.add_checks()->mutable_failure()->set_message(s.session_id());
        }
        --in_flight;
        done(std::move(response));
      }
    });
  }
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        std::string id = std::to_string(t) + "/" + std::to_string(c);
        batcher->Add(Session(id), [&, id](StatusOr<v1::SessionCheck> check) {
          (check.ok() && check->failure().message() == id ? right : wrong)++;
        });
      }
    });
  }
  for (std::thread& t : callers) t.join();
  adding = false;
  for (std::thread& t : answerers) t.join();
  EXPECT_EQ(right.load(), kThreads * kCalls);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(most_in_flight.load(), Batcher<Sessions>::kMaxInFlight);
}

// The read batches' cut rests on kMaxItemReplyBytes bounding any item: the
// largest docs/contract.md §2 allows, in a list, fits.
TEST(ReadBatchTest, TheLargestItemFitsItsBound) {
  v1::Item item;
  item.set_id(std::to_string(kMaxCategory) + "-" + std::to_string(INT64_MAX));
  item.set_category(kMaxCategory);
  std::string name;
  for (int i = 0; i < kMaxNameChars; ++i) name += "\U0001F600";  // 4 bytes in UTF-8
  item.set_name(name);
  for (int i = 0; i < kMaxKeywords; ++i) item.add_keywords(std::string(kMaxKeywordChars, 'k'));
  item.set_condition(v1::CONDITION_USED);
  item.set_price_cents(kMaxPriceCents);
  item.set_quantity(kMaxQuantity);
  item.mutable_feedback()->set_up(INT64_MAX);
  item.mutable_feedback()->set_down(INT64_MAX);
  item.set_seller_id(INT64_MAX);
  v1::ItemList list;
  *list.add_items() = item;
  EXPECT_LE(list.ByteSizeLong(), kMaxItemReplyBytes);

  v1::ProductRead read;
  read.mutable_list_seller_items()->set_limit(500);
  EXPECT_GE(ReadBatch::MaxReplyBytes(read), 500 * kMaxItemReplyBytes);
  read.mutable_list_seller_items()->set_limit(0);
  EXPECT_GE(ReadBatch::MaxReplyBytes(read), 50 * kMaxItemReplyBytes) << "the default page";
  read.mutable_list_seller_items()->set_limit(100000);
  EXPECT_GE(ReadBatch::MaxReplyBytes(read), 500 * kMaxItemReplyBytes);
}

}  // namespace
}  // namespace mp::rpc
