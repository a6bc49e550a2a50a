#include "common/task.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace mp {
namespace {

// A callback operation that answers on another thread, later: the shape of
// an RPC client's asynchronous call.
auto OnAnotherThread(int value, std::chrono::microseconds delay = std::chrono::microseconds(200)) {
  auto start = [value, delay](std::function<void(StatusOr<int>)> done) {
    std::thread([value, delay, done = std::move(done)] {
      std::this_thread::sleep_for(delay);
      done(value);
    }).detach();
  };
  return Await<StatusOr<int>>(std::move(start));
}

// One that answers before `start` returns.
auto AtOnce(StatusOr<int> value) {
  auto start = [value](std::function<void(StatusOr<int>)> done) { done(value); };
  return Await<StatusOr<int>>(std::move(start));
}

Task<StatusOr<int>> AddBoth(int a, int b) {
  MP_CO_ASSIGN_OR_RETURN(int x, co_await OnAnotherThread(a));
  MP_CO_ASSIGN_OR_RETURN(int y, co_await AtOnce(b));
  co_return x + y;
}

TEST(TaskTest, AwaitsOperationsThatEndLaterOrAtOnce) {
  StatusOr<int> sum = SyncWait(AddBoth(2, 3));
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(*sum, 5);
}

TEST(TaskTest, AnErrorReturnsEarlyAndSkipsTheRest) {
  bool reached = false;
  auto task = [&]() -> Task<StatusOr<int>> {
    MP_CO_ASSIGN_OR_RETURN(int x, co_await AtOnce(NotFound("no such thing")));
    reached = true;
    co_return x;
  };
  StatusOr<int> result = SyncWait(task());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(reached);
}

Task<StatusOr<int>> Throws(bool after_suspension) {
  if (after_suspension) (void)co_await OnAnotherThread(1);
  throw std::runtime_error("boom");
  co_return 0;
}

TEST(TaskTest, AnExceptionBeforeOrAfterSuspendingBecomesOneInternalError) {
  for (bool after : {false, true}) {
    StatusOr<int> result = SyncWait(Throws(after));
    EXPECT_EQ(result.status().code(), StatusCode::kInternal) << after;
  }
  // Seen by an awaiting Task as the exception itself.
  auto outer = []() -> Task<StatusOr<int>> {
    try {
      co_return co_await Throws(true);
    } catch (const std::runtime_error& e) {
      co_return InvalidArgument("caught", e.what());
    }
  };
  EXPECT_EQ(SyncWait(outer()).status().code(), StatusCode::kInvalidArgument);
}

TEST(TaskTest, StartCallsDoneOnceOnTheThreadWhereTheTaskEnds) {
  std::atomic<int> calls{0};
  std::atomic<bool> finished{false};
  std::thread::id where;
  Start(AddBoth(1, 1), [&](StatusOr<int> r) {
    EXPECT_EQ(*r, 2);
    where = std::this_thread::get_id();
    calls.fetch_add(1);
    finished = true;
  });
  while (!finished) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_NE(where, std::this_thread::get_id());
}

// Tasks that end at once go on in a loop, not nested calls: a long chain of
// them must not grow the stack (a million nested frames would overflow it).
Task<StatusOr<int>> Leaf(int i) { co_return i; }

Task<StatusOr<int64_t>> LongChain(int n) {
  int64_t sum = 0;
  for (int i = 0; i < n; ++i) {
    MP_CO_ASSIGN_OR_RETURN(int v, co_await Leaf(i));
    MP_CO_ASSIGN_OR_RETURN(int w, co_await AtOnce(1));
    sum += v + w;
  }
  co_return sum;
}

TEST(TaskTest, AMillionStepsThatEndAtOnceRunInConstantStack) {
  constexpr int kSteps = 1'000'000;
  StatusOr<int64_t> sum = SyncWait(LongChain(kSteps));
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*sum, int64_t{kSteps} * (kSteps - 1) / 2 + kSteps);
}

TEST(TaskTest, WhenBothRunsTwoTasksAtOnceAndKeepsEachResult) {
  // The first task can only end once the second has started: awaited one
  // after the other, it would report kUnavailable.
  auto second_started = std::make_shared<std::atomic<bool>>(false);
  auto first = [second_started]() -> Task<StatusOr<int>> {
    auto start = [second_started](std::function<void(StatusOr<int>)> done) {
      std::thread([second_started, done = std::move(done)] {
        auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!*second_started && std::chrono::steady_clock::now() < give_up) {
          std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
        done(*second_started ? StatusOr<int>(7) : Unavailable("ran alone"));
      }).detach();
    };
    co_return co_await Await<StatusOr<int>>(std::move(start));
  };
  auto second = [second_started]() -> Task<StatusOr<std::string>> {
    *second_started = true;
    co_return Unauthenticated("expired");
  };
  auto both = [&]() -> Task<StatusOr<int>> {
    auto [a, b] = co_await WhenBoth(first(), second());
    EXPECT_EQ(b.status().code(), StatusCode::kUnauthenticated);
    co_return a;
  };
  StatusOr<int> r = SyncWait(both());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 7);
}

// Many tasks at once, each answered from a thread of its own: every one
// resumes exactly once with its own value, whichever side arrives first.
TEST(TaskTest, ConcurrentTasksEachResumeOnceWithTheirOwnResult) {
  constexpr int kTasks = 2000;
  std::atomic<int> done{0};
  std::atomic<int> wrong{0};
  for (int i = 0; i < kTasks; ++i) {
    auto task = [](int i) -> Task<StatusOr<int>> {
      MP_CO_ASSIGN_OR_RETURN(int v, co_await OnAnotherThread(i, std::chrono::microseconds(i % 3)));
      co_return v;
    };
    Start(task(i), [&, i](StatusOr<int> r) {
      if (!r.ok() || *r != i) wrong.fetch_add(1);
      done.fetch_add(1);
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (done.load() < kTasks && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(done.load(), kTasks);
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace mp
