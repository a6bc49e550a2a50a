// rpc::Batcher on its own: the batch RPC is a function the test answers by
// hand, so that what travels in which batch, and when, is visible.
#include "rpc/batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "rpc/customer_db_client.h"

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
        response.add_checks()->set_message(s.session_id());
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
      answers.push_back(id + "=" + (check.ok() ? check->message() : check.status().reason()));
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
  short_reply.add_checks()->set_message("c");
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
          response.add_checks()->set_message(s.session_id());
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
          (check.ok() && check->message() == id ? right : wrong)++;
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

}  // namespace
}  // namespace mp::rpc
