#pragma once

// A small coroutine task type for request handlers and sagas.
//
// Why our own and not asio::awaitable: the work a handler waits for finishes
// on gRPC's threads (or a payment thread), not on an asio executor. A Task
// resumes where the answer lands, with no hop back to an executor, and an
// RPC client's callback becomes awaitable with one adapter (Await below).
//
//   Task<StatusOr<Reply>> Handle(const Request& r) {
//     MP_CO_ASSIGN_OR_RETURN(v1::Item item, co_await products.AsyncGetItem(get));
//     co_return Reply::Ok(ItemJson(item));
//   }
//
// A Task is lazy: it runs when awaited (by another Task) or started with
// Start (from callback code) or SyncWait (from a plain thread). An exception
// escaping a Task reaches whoever awaits it; Start and SyncWait turn it into
// a kInternal Status, so nothing a handler throws, before or after its
// first suspension, escapes as anything but one error.
//
// GCC 12 destroys twice a lambda or a braced aggregate made inside a
// co_await operand (`co_await Await<T>([p] {...})`, `co_await F(Holder{})`):
// name such values before the co_await. Named values, function results
// and calls with plain arguments are fine.

#include <atomic>
#include <condition_variable>
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "common/status.h"

namespace mp {

template <typename T>
class Task;

namespace task_internal {

// The end of a Task: goes on with the awaiting coroutine, unless the Task
// ended before its awaiter finished starting it (see Task::operator
// co_await), which then goes on by itself. Tasks that end at once thus run
// in a loop rather than nested calls: a long chain of them does not grow
// the stack, whether or not the compiler makes a symmetric transfer a tail
// call (GCC does not at -O0 or with AddressSanitizer).
struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  template <typename Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> done) noexcept {
    if (done.promise().ended_first.exchange(true, std::memory_order_acq_rel)) {
      return done.promise().continuation;
    }
    return std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

}  // namespace task_internal

template <typename T>
class [[nodiscard]] Task {
 public:
  struct promise_type {
    std::coroutine_handle<> continuation = std::noop_coroutine();
    // Set by whichever of the Task's end and its awaiter's start comes
    // first; the second goes on with the awaiting coroutine.
    std::atomic<bool> ended_first{false};
    std::optional<T> value;
    std::exception_ptr error;

    Task get_return_object() {
      return Task(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    task_internal::FinalAwaiter final_suspend() const noexcept { return {}; }
    template <typename U>
    void return_value(U&& v) {
      value.emplace(std::forward<U>(v));
    }
    void unhandled_exception() { error = std::current_exception(); }
  };

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }
  ~Task() {
    if (handle_) handle_.destroy();
  }

  // Runs the task; the awaiting coroutine resumes when it has ended, on
  // whatever thread it ended.
  auto operator co_await() && noexcept {
    struct Awaiter {
      std::coroutine_handle<promise_type> task;
      bool await_ready() const noexcept { return false; }
      bool await_suspend(std::coroutine_handle<> waiting) noexcept {
        task.promise().continuation = waiting;
        task.resume();
        // Ended already: go on without suspending.
        return !task.promise().ended_first.exchange(true, std::memory_order_acq_rel);
      }
      T await_resume() {
        if (task.promise().error) std::rethrow_exception(task.promise().error);
        return std::move(*task.promise().value);
      }
    };
    return Awaiter{handle_};
  }

 private:
  explicit Task(std::coroutine_handle<promise_type> h) : handle_(h) {}
  std::coroutine_handle<promise_type> handle_;
};

// Makes a callback-style operation awaitable: `start(done)` begins it and
// `done(T)` is called once, on any thread, possibly before `start` returns.
// The awaiting coroutine resumes on the thread that calls `done` (or goes on
// without suspending when `done` already ran).
template <typename T, typename Start>
class CallbackAwaiter {
 public:
  explicit CallbackAwaiter(Start start) : start_(std::move(start)) {}

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> waiting) {
    waiting_ = waiting;
    // `start_` lives in the coroutine frame, which may be resumed and gone
    // before `start` returns: run a copy that lives on this stack.
    Start start = std::move(start_);
    start([this](T value) {
      result_.emplace(std::move(value));
      // Whichever of the two comes second goes on.
      if (arrived_.exchange(true, std::memory_order_acq_rel)) waiting_.resume();
    });
    return !arrived_.exchange(true, std::memory_order_acq_rel);
  }
  T await_resume() { return std::move(*result_); }

 private:
  Start start_;
  std::coroutine_handle<> waiting_;
  std::optional<T> result_;
  std::atomic<bool> arrived_{false};
};

template <typename T, typename Start>
CallbackAwaiter<T, Start> Await(Start start) {
  return CallbackAwaiter<T, Start>(std::move(start));
}

namespace task_internal {

// A coroutine that starts at once and frees itself at its end: the root of
// a Task started from plain code.
struct Detached {
  struct promise_type {
    Detached get_return_object() const noexcept { return {}; }
    std::suspend_never initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    // The body below catches everything; a throwing `done` is a bug.
    void unhandled_exception() const noexcept { std::terminate(); }
  };
};

Status FromException(std::exception_ptr error);

template <typename T, typename Done>
Detached RunDetached(Task<StatusOr<T>> task, Done done) {
  std::optional<StatusOr<T>> result;
  try {
    result.emplace(co_await std::move(task));
  } catch (...) {
    result.emplace(FromException(std::current_exception()));
  }
  done(std::move(*result));
}

}  // namespace task_internal

// Runs `task` now, on this thread until its first suspension; `done` gets
// its result once, on the thread where it ends. An exception becomes
// kInternal (logged).
template <typename T, typename Done>
void Start(Task<StatusOr<T>> task, Done done) {
  task_internal::RunDetached(std::move(task), std::move(done));
}

// Runs `task` and blocks this thread until it ends. For plain threads
// (recovery, tests); never on a thread the task needs to go on.
template <typename T>
StatusOr<T> SyncWait(Task<StatusOr<T>> task) {
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<StatusOr<T>> result;
  };
  auto state = std::make_shared<State>();
  Start(std::move(task), [state](StatusOr<T> result) {
    std::lock_guard lock(state->mu);
    state->result.emplace(std::move(result));
    state->cv.notify_all();
  });
  std::unique_lock lock(state->mu);
  state->cv.wait(lock, [&] { return state->result.has_value(); });
  return std::move(*state->result);
}

// An awaitable as a Task, e.g. an RPC (`client.AsyncX(r)`) to run beside
// another with WhenBoth. It refers to `awaitable`: name it before, in the
// awaiting coroutine.
template <typename Awaitable>
auto AsTask(Awaitable& awaitable) -> Task<decltype(awaitable.await_resume())> {
  co_return co_await awaitable;
}

// Runs two tasks at once and resumes with both results when both have
// ended, on the thread of the later one.
template <typename A, typename B>
Task<std::pair<StatusOr<A>, StatusOr<B>>> WhenBoth(Task<StatusOr<A>> a, Task<StatusOr<B>> b) {
  struct Join {
    std::optional<StatusOr<A>> a;
    std::optional<StatusOr<B>> b;
    std::atomic<int> left{2};
    std::function<void(bool)> done;
    void Arrived() {
      if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) done(true);
    }
  };
  auto join = std::make_shared<Join>();
  auto start = [&](std::function<void(bool)> done) {
    join->done = std::move(done);
    Start(std::move(a), [join](StatusOr<A> r) {
      join->a.emplace(std::move(r));
      join->Arrived();
    });
    Start(std::move(b), [join](StatusOr<B> r) {
      join->b.emplace(std::move(r));
      join->Arrived();
    });
  };
  co_await Await<bool>(std::move(start));
  co_return std::pair<StatusOr<A>, StatusOr<B>>(std::move(*join->a), std::move(*join->b));
}

}  // namespace mp

// The coroutine forms of MP_RETURN_IF_ERROR and MP_ASSIGN_OR_RETURN (a Task
// returns with co_return). `expr` may contain co_await.
#define MP_CO_RETURN_IF_ERROR(expr)             \
  do {                                          \
    ::mp::Status mp_status_ = (expr);           \
    if (!mp_status_.ok()) co_return mp_status_; \
  } while (0)

#define MP_CO_ASSIGN_OR_RETURN(lhs, expr) \
  MP_CO_ASSIGN_OR_RETURN_IMPL_(MP_CONCAT_(mp_statusor_, __LINE__), lhs, expr)
#define MP_CO_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) co_return tmp.status();             \
  lhs = std::move(tmp).value()
